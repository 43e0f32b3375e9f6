"""What a page does before its work, the same way on every page: load the community a staff member asked for and
answer 404 or 403 as the scope and the role say; find the household a resident (or staff acting for one) is on,
or send them back to the start; keep pages that name a household out of every cache."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.entry import residents
from participation.models import Community
from participation.permissions import can_manage_community, can_view_community
from participation.roster.communities import community_by_code


def private(html: str, status: int = 200):
    """A page holding a household's address or choices: never kept by the browser or a proxy."""
    return html, status, {"Cache-Control": "no-store"}


def staff_community(community_code: str, *, roles=None, manage: bool = False, visible=can_view_community) -> Community:
    """The community, checked in this order: missing → 404; the user's role not in ``roles`` (when given) → 403;
    outside the user's scope by ``visible`` → 404 (its existence is not confirmed); ``manage`` and the user may not
    manage it → 403."""
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    if roles is not None and current_user.role not in roles:
        abort(403)
    if not visible(current_user, community):
        abort(404)
    if manage and not can_manage_community(current_user, community):
        abort(403)
    return community


def resident_or_start(community_code: str | None = None):
    """(acting, None), or (None, the response to give): back to the start page when nobody entered, to the
    privacy notice when it was not accepted yet; another community's resident page is 404."""
    acting = residents.acting()
    if acting is None:
        flash(_("Please open your household's page again: scan the QR code on your slip or type your household "
                "code."), "warning")
        return None, redirect(url_for("main.index"))
    if community_code is not None and acting.household.community.code != community_code:
        abort(404)
    if acting.household.notice_accepted_at is None:
        return None, redirect(url_for("resident.notice"))
    return acting, None
