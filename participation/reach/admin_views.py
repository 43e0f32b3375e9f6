"""Admins' pages of delivery (/admin/messages): failures and retries, each message's log, the SMS settings and the
SMS counts per community and month (issue 16). Admins only (403 for other staff); a district admin sees the
deliveries of the district's communities (404 for others'), and the settings, which are the city's, are for
city-wide admins."""
import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.forms import EmptyForm
from participation.handlers import Refused, refuse_onto, withdraw
from participation.permissions import role_required
from participation.reach import admin
from participation.reach.admin_forms import SmsSettingsForm
from participation.reach.settings import current_row, sms_config

bp = Blueprint("reach_admin", __name__, url_prefix="/admin/messages")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("")
@role_required("admin")
def overview():
    failed, failed_total = admin.failed_deliveries(current_user)
    return render_template("reach/admin_messages.html", counts=admin.state_counts(current_user), failed=failed,
                           failed_total=failed_total, recent=admin.recent_deliveries(current_user),
                           days=admin.OVERVIEW_DAYS, labels=admin)


@bp.get("/<int:notification_id>")
@role_required("admin")
def message(notification_id: int):
    found = admin.visible_message(current_user, notification_id)
    if found is None:
        abort(404)
    return render_template("reach/admin_message.html", message=found, kind=admin.kind_label(found.kind),
                           recipient=admin.recipient(found), labels=admin)


@bp.post("/deliveries/<int:delivery_id>/retry")
@role_required("admin")
def retry(delivery_id: int):
    delivery = admin.visible_delivery(current_user, delivery_id)
    if delivery is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        admin.retry_one(delivery, current_user)
    except Refused as refusal:
        flash(withdraw(refusal).message, "error")
    else:
        flash(_("The message will be sent again in a moment."), "success")
    return redirect(url_for(".overview"))


@bp.post("/retry-all")
@role_required("admin")
def retry_all():
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = admin.retry_all(current_user)
    if count:
        flash(_("%(count)d failed deliveries will be sent again in a moment.", count=count), "success")
    else:
        flash(_("No failed delivery to retry."), "info")
    return redirect(url_for(".overview"))


def _settings_page(form: SmsSettingsForm, status: int = 200):
    config = current_app.config
    return render_template("reach/admin_settings.html", form=form, row=current_row(), in_force=sms_config(),
                           environment=admin.environment_values(config), secrets=admin.secret_status(config),
                           labels=admin), status


def _city_wide() -> None:
    """The settings are the city's: a district admin reads the counts of the district but does not change them."""
    if current_user.district_id is not None:
        abort(403)


@bp.get("/settings")
@role_required("admin")
def settings():
    _city_wide()
    return _settings_page(SmsSettingsForm(formdata=None, data=admin.form_data(current_row())))


@bp.post("/settings")
@role_required("admin")
def save_settings():
    _city_wide()
    form = SmsSettingsForm()
    if form.validate_on_submit():
        try:
            changes = admin.save_settings(current_user, form.values(),
                                          environment_provider=current_app.config.get("SMS_BACKEND") or "off")
        except Refused as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("SMS settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for(".settings"))
    return _settings_page(form, 400)


@bp.get("/counts")
@role_required("admin")
def counts():
    return render_template("reach/admin_counts.html", counts=admin.sms_counts(current_user), labels=admin)


@bp.get("/counts.xlsx")
@role_required("admin")
def counts_xlsx():
    workbook = admin.sms_counts_xlsx(admin.sms_counts(current_user))
    return send_file(io.BytesIO(workbook), mimetype=XLSX, as_attachment=True, download_name="sms-counts.xlsx",
                     max_age=0)
