"""The city / district overview (``/city``) and the 年度改造清单 workbook (``/city/annual-list.xlsx``).

Who: admins (the city, or their district), organisers (their district or communities) and owner representatives
(their communities) — the people who plan and answer for the programme; each sees only the communities
``visible_communities`` gives them. Grid workers (a few buildings), hotline staff (complaints) and agencies (their
works) have the community pages they need and get 403 here: the overview is the programme's money and deadlines.
"""
import io

from flask import Blueprint, flash, render_template, request, send_file
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from participation.charts import bar_chart, chart_fragment, grouped_bar_chart
from participation.dashboards.city import annual_list_xlsx, city_overview, overview_districts
from participation.labels import label
from participation.models import COMMUNITY_STATUSES
from participation.permissions import DECISION_READERS, role_required
from participation.plans.figures import labels as estimate_labels
from participation.reference.locality import FIRST_YEAR, LAST_YEAR, current_year

bp = Blueprint("city", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET_LABELS = {"communities": _l("Communities"), "buildings": _l("Buildings"), "households": _l("Households"),
                 "investment": _l("Investment (yuan)")}


def _filters(districts: list[dict]) -> dict:
    """The page's filters from the query string; a value that is not on offer is dropped with a message."""
    chosen = {"district": None, "status": None, "year": None}
    raw_district = request.args.get("district", "").strip()
    if raw_district:
        if raw_district.isdigit() and int(raw_district) in {d["id"] for d in districts}:
            chosen["district"] = int(raw_district)
        else:
            flash(_("That district is not one you can see; showing all your communities."), "error")
    raw_status = request.args.get("status", "").strip()
    if raw_status:
        if raw_status in COMMUNITY_STATUSES:
            chosen["status"] = raw_status
        else:
            flash(_("Unknown stage; showing every stage."), "error")
    raw_year = request.args.get("year", "").strip()
    if raw_year:
        if raw_year.isdigit() and FIRST_YEAR <= int(raw_year) <= LAST_YEAR:
            chosen["year"] = int(raw_year)
        else:
            flash(_("The plan year must be a year between %(first)s and %(last)s.", first=FIRST_YEAR,
                    last=LAST_YEAR), "error")
    return chosen


@bp.get("/city")
@role_required(*DECISION_READERS)
def overview():
    districts = overview_districts(current_user)
    chosen = _filters(districts)
    result = city_overview(current_user, **chosen)
    status_chart = bar_chart([label("status", row["status"]) for row in result["by_status"]],
                             [row["communities"] for row in result["by_status"]], axis_title=_("Communities"))
    targets = [row for row in result["targets"] if row["configured"]]
    target_chart = grouped_bar_chart(
        [str(TARGET_LABELS[row["key"]]) for row in targets],
        [(_("Share of the target reached"), [min(row["share"] or 0, 1.0) for row in targets])]) if targets else None
    return render_template(
        "city/overview.html", result=result, districts=districts, chosen=chosen, statuses=COMMUNITY_STATUSES,
        target_labels=TARGET_LABELS, year=chosen["year"] or current_year(), estimate_labels=estimate_labels(),
        status_chart=chart_fragment(status_chart if result["communities"] else None, "chart-status",
                                    label=_("Communities by stage")),
        target_chart=chart_fragment(target_chart, "chart-targets", label=_("Programme targets reached")))


@bp.get("/city/annual-list.xlsx")
@role_required(*DECISION_READERS)
def annual_list():
    districts = overview_districts(current_user)
    chosen = _filters(districts)
    year = chosen["year"] or current_year()
    result = city_overview(current_user, district=chosen["district"], status=chosen["status"], year=year)
    return send_file(io.BytesIO(annual_list_xlsx(result)), mimetype=XLSX, as_attachment=True,
                     download_name=f"annual-list-{year}.xlsx", max_age=0)
