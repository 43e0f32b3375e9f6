"""Permission rows of the admins' delivery pages (participation/reach/admin_views.py), merged into
tests/permissions/cases.CASES. Admins only: other staff 403, visitors to the login page. The world's one failed SMS of
community A ("failed_delivery", its message "message") is what the retry acts on; the rows run in this order, so the
retry-all after it finds nothing failed left and changes nothing. The settings' empty POST names no provider: 400."""
from tests.permissions.cases import ADMIN_FORM_POST, ADMIN_PAGE, ADMINS, Acts, Case, Redirect, roles

MESSAGES = Redirect("/admin/messages")

CASES: dict = {
    "/admin/messages": Case(get=ADMIN_PAGE),
    "/admin/messages/<int:notification_id>": Case(get=ADMIN_PAGE, params={"notification_id": "message"}),
    "/admin/messages/deliveries/<int:delivery_id>/retry": Case(
        post=roles(ADMINS, Acts(MESSAGES, "delivery.retry")), params={"delivery_id": "failed_delivery"}),
    "/admin/messages/retry-all": Case(post=roles(ADMINS, MESSAGES)),
    "/admin/messages/settings": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/messages/counts": Case(get=ADMIN_PAGE),
    "/admin/messages/counts.xlsx": Case(get=ADMIN_PAGE),
}
