"""What residents see of a closed survey's results, when the organisers chose to show them after close.

Aggregates only, with every count under 5 shown as "<5" (surveys.results.summaries suppresses them for residents),
and no plotly: a resident page stays light, so each share is a plain <progress> bar. A summary first (the most needed
items of each category), then the answers in parts by section and item category (surveys.results.sections).
"""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale

from participation.entry import residents
from participation.extensions import db
from surveys.models import Survey
from surveys.results.sections import question_parts, top_needs
from surveys.results.summaries import item_block, participation_for_residents, survey_summaries

bp = Blueprint("survey_resident_results", __name__)

SHOWN_TYPES = ("select_one", "select_multiple", "yes_no", "rating", "rank")


def results_visible(survey: Survey) -> bool:
    return survey.effective_status() == "closed" and survey.results_visibility == "after_close"


@bp.get("/s/<int:survey_id>/results")
def show(survey_id: int):
    acting = residents.acting()
    if acting is None:
        return redirect(url_for("main.index"))
    survey = db.session.get(Survey, survey_id)
    household = acting.household
    if survey is None or survey.is_template or survey.community_id != household.unit.building.community_id \
            or not results_visible(survey):
        abort(404)
    lang = "en" if str(get_locale()) == "en" else "zh"
    summaries = [summary for summary in survey_summaries(survey, suppress=True, lang=lang)
                 if summary["type"] in SHOWN_TYPES]
    return render_template("surveys/resident_results.html", survey=survey, lang=lang, summaries=summaries,
                           parts=question_parts(survey, summaries, lang=lang),
                           top_needs=top_needs(item_block(survey, suppress=True)),
                           stats=participation_for_residents(survey), household=household)
