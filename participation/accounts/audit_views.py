"""The audit log under /admin/audit: filter and page through it, download it as CSV, archive chosen days as JSON
lines. Admins only (403 for other staff); a district admin reads their district's share of the log.

The routes sit on the "admin" blueprint (``reference.admin_blueprint``), so their endpoints are admin.audit,
admin.audit_csv and admin.audit_archive.
"""
import base64
import tempfile
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from participation.accounts.audit_archive import ArchiveRefused, check_period, write_events
from participation.accounts.audit_search import community_codes, detail_text, events_csv, events_page, first_events
from participation.permissions import role_required
from participation.reference.admin_blueprint import bp
from participation.reference.forms import AuditFilterForm
from participation.security import MAX_PAGE, int_arg

AUDIT_PAGE_SIZE = 50
AUDIT_CSV_LIMIT = 100_000


def _audit_filters(form: AuditFilterForm) -> dict:
    """The filters that were typed correctly; a wrong date shows its error and is left out."""
    form.validate()
    return {name: form[name].data for name in ("actor", "action", "community", "channel", "date_from", "date_to")
            if form[name].data and not form[name].errors}


@bp.get("/audit")
@role_required("admin")
def audit():
    form = AuditFilterForm(formdata=request.args)
    page = events_page(current_user, _audit_filters(form),
                       page=int_arg(request.args.get("page"), default=1, high=MAX_PAGE), per_page=AUDIT_PAGE_SIZE)
    link_args = {key: request.args[key] for key in form.data if request.args.get(key)}
    return render_template("admin/audit.html", form=form, page=page, link_args=link_args,
                           codes=community_codes(event.community_id for event in page.items),
                           detail_text=detail_text)


@bp.get("/audit.csv")
@role_required("admin")
def audit_csv():
    events = first_events(current_user, _audit_filters(AuditFilterForm(formdata=request.args)), AUDIT_CSV_LIMIT)
    body = events_csv(events, community_codes(event.community_id for event in events))
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=audit.csv", "Content-Type": "text/csv; charset=utf-8"})


@bp.get("/audit/archive.jsonl")
@role_required("admin")
def audit_archive():
    """The whole log of the chosen days (every event, whatever the other filters) as the JSON lines ``flask
    --app app audit export`` writes, for archiving; its SHA-256 is in the Repr-Digest header and in the audit row of
    the download. City-wide admins only: a district's share of the log is no archive of it."""
    if current_user.district_id is not None:
        abort(403)
    form = AuditFilterForm(formdata=request.args)
    filters = _audit_filters(form)
    if form.date_from.errors or form.date_to.errors:   # the page shows them; an archive never guesses its days
        return redirect(url_for(".audit", **request.args))
    first_day, last_day = filters.get("date_from"), filters.get("date_to")
    day_after = last_day + timedelta(days=1) if last_day else None
    try:
        check_period(first_day, day_after)
    except ArchiveRefused as refusal:   # checked before anything was written: nothing to undo
        flash(refusal.message, "error")
        return redirect(url_for(".audit", **request.args))
    stream = tempfile.TemporaryFile()   # on disk, not in memory: the log may hold millions of rows
    try:
        _rows, sha256 = write_events(stream, current_user, first_day, day_after, channel="web")
    except BaseException:
        stream.close()
        raise
    stream.seek(0)
    response = send_file(stream, mimetype="application/x-ndjson", as_attachment=True,
                         download_name=f"audit-{first_day or 'start'}-{last_day or 'now'}.jsonl")
    response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:"
    return response
