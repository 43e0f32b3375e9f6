"""The holiday table under /admin/holidays: a year's days off and make-up working days (调休), seeding a year from
chinese-calendar, and recomputing the deadlines that were estimated while a year had no data. Admins only (403 for
other staff); the table is national, so there is no scope to check."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.handlers import refuse_onto
from participation.permissions import role_required
from participation.reference.forms import DayForm, YearForm
from participation.reference.holidays import (HolidayInvalid, calendar_years, days_of, estimated_open_by_year,
                                              kind_label, parse_year, recompute_estimated, remove_day, seed_year,
                                              set_day, source_label, weekday_label, years_with_data)
from participation.reference.locality import current_year

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")


def _year_shown(text, default: int) -> int:
    try:
        return parse_year(text)
    except HolidayInvalid:
        return default


def _page(year: int, form: DayForm | None = None, error: str | None = None, status: int = 200):
    form = form or DayForm(formdata=None, data={"kind": "holiday", "year": year})
    estimated = estimated_open_by_year()
    return render_template("admin/holidays.html", year=year, days=days_of(year), years=years_with_data(),
                           seedable=year in calendar_years(), estimated=estimated,
                           estimated_here=estimated.get(year, 0), form=form,
                           weekday_label=weekday_label, kind_label=kind_label, source_label=source_label,
                           error=error), status


@bp.get("")
@role_required("admin")
def index():
    typed = request.args.get("year", "").strip()
    if not typed:
        return _page(current_year())
    try:
        return _page(parse_year(typed))
    except HolidayInvalid as error:
        return _page(current_year(), error=str(error), status=400)


@bp.post("/day")
@role_required("admin")
def save_day():
    form = DayForm()
    year = _year_shown(form.year.data, current_year())
    if form.validate_on_submit():
        try:
            holiday = set_day(current_user, form.day.data, form.kind.data, form.name.data)
        except HolidayInvalid as refusal:
            refuse_onto(form, {"day": refusal.message})
        else:
            flash(_("%(day)s saved: deadlines computed from now on count it.", day=holiday.day.isoformat()),
                  "success")
            return redirect(url_for(".index", year=holiday.day.year))
    return _page(year, form=form, status=400)


@bp.post("/remove")
@role_required("admin")
def remove():
    form = YearForm()
    year = _year_shown(form.year.data, current_year())
    try:
        if not form.validate_on_submit():
            raise HolidayInvalid(_("Choose a day of the table."))
        remove_day(current_user, form.day.data)
    except HolidayInvalid as refusal:
        refuse_onto(form, refusal)
        return _page(year, error=refusal.message, status=400)
    flash(_("%(day)s removed from the table.", day=form.day.data), "success")
    return redirect(url_for(".index", year=year))


@bp.post("/seed")
@role_required("admin")
def seed():
    form = YearForm()
    try:
        year = parse_year(form.year.data)
        added = seed_year(current_user, year)
    except HolidayInvalid as refusal:
        refuse_onto(form, refusal)
        return _page(_year_shown(form.year.data, current_year()), error=refusal.message, status=400)
    flash(_("Added %(count)d days of %(year)d from chinese-calendar.", count=added, year=year), "success")
    return redirect(url_for(".index", year=year))


@bp.post("/recompute")
@role_required("admin")
def recompute():
    form = YearForm()
    try:
        year = parse_year(form.year.data)
        changed = recompute_estimated(current_user, year)
    except HolidayInvalid as refusal:
        refuse_onto(form, refusal)
        return _page(_year_shown(form.year.data, current_year()), error=refusal.message, status=400)
    flash(_("Recomputed the deadlines of %(count)d open tickets.", count=changed), "success")
    return redirect(url_for(".index", year=year))
