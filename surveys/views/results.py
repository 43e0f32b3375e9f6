"""Survey results for staff: /surveys/<id>/results (a summary, then participation, the item block and the answers
in sections opened one at a time, each chart drawn when its section opens), /surveys/<id>/follow-up
(households not yet answered, printable) and the response exports.

Staff who see the community's households read results (agencies: 403); a survey of a community outside the user's
scope answers 404. Exports hold every household's answers: organisers and admins only, and never for a
confidential survey, whose organisers see aggregates only (403 with the reason).
"""
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user

from participation.charts import chart_fragment, item_need_chart, participation_chart, question_spec
from participation.extensions import db
from participation.permissions import (COMMUNITY_MANAGERS, HOUSEHOLD_READERS, can_export_survey_responses,
                                       can_manage_community, can_view_survey_results, role_required)
from surveys import reminders
from surveys.models import Survey, SurveyStateError
from surveys.results.exports import responses_csv, responses_long_csv, responses_xlsx
from surveys.results.sections import question_parts, top_needs, top_priorities
from surveys.results.summaries import must_suppress, non_responders, participation, survey_results

bp = Blueprint("survey_results", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _survey(survey_id: int, *, export: bool = False) -> Survey:
    """Load and authorize: 404 for a missing survey, a template, or a community outside the user's scope."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.community is None or not can_view_survey_results(current_user, survey.community):
        abort(404)
    if export and not can_export_survey_responses(current_user, survey.community):
        abort(403)
    return survey


def _confidential():
    """A confidential survey's organisers see aggregates only: say why the file is refused."""
    message = _("This survey is confidential: its answers are shown only as totals, never per household.")
    return render_template("errors/403.html", status=403, message=message), 403


def _download(body, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/surveys/<int:survey_id>/results")
@role_required(*HOUSEHOLD_READERS)
def results(survey_id: int):
    survey = _survey(survey_id)
    lang = _lang()
    stats = participation(survey, current_user)
    summaries, items = survey_results(survey, lang=lang)
    headcount, area = _("By households"), _("By area")
    # plain figure dicts: a 75-question survey's charts in ~10 ms, not the ~0.5 s plotly.py's figures take
    charts = {summary["question"]: chart_fragment(question_spec(summary), f"chart-{summary['question']}",
                                                  label=summary["title"]) for summary in summaries}
    return render_template(
        "surveys/results.html", survey=survey, community=survey.community, lang=lang, stats=stats,
        summaries=summaries, parts=question_parts(survey, summaries, lang=lang), top_needs=top_needs(items),
        top_priorities=top_priorities(items), items=items, charts=charts, suppressed=must_suppress(survey),
        status=survey.effective_status(),
        participation_chart=chart_fragment(participation_chart(stats, headcount=headcount, area=area)
                                           if stats["buildings"] else None, "chart-participation",
                                           label=_("Response rate per building")),
        items_chart=chart_fragment(item_need_chart(items, headcount=headcount, area=area) if items else None,
                                   "chart-items", label=_("Share of households that need each item")),
        can_export=can_export_survey_responses(current_user, survey.community) and not survey.confidential)


@bp.get("/surveys/<int:survey_id>/follow-up")
@role_required(*HOUSEHOLD_READERS)
def follow_up(survey_id: int):
    survey = _survey(survey_id)
    return render_template("surveys/results_follow_up.html", survey=survey, community=survey.community,
                           lang=_lang(), missing=non_responders(survey, current_user),
                           may_remind=can_manage_community(current_user, survey.community) and survey.is_accepting(),
                           reminders_max=reminders.reminders_max())


@bp.post("/surveys/<int:survey_id>/remind")
@role_required(*COMMUNITY_MANAGERS)
def remind(survey_id: int):
    """The follow-up page's "提醒未填写的住户": one reminder to each household of the community that has not answered
    (``surveys.reminders.remind_now``: at most ``SURVEY_REMINDERS_MAX`` each, never twice in a day)."""
    survey = _survey(survey_id)
    if not can_manage_community(current_user, survey.community):
        abort(403)
    try:
        count = reminders.remind_now(current_user, survey)
    except SurveyStateError as error:
        flash(str(error), "error")
    else:
        if count:
            flash(ngettext("%(num)d household was reminded.", "%(num)d households were reminded.", count), "success")
        else:
            flash(_("No household was reminded: every one that has not answered had a reminder today or has had "
                    "the most it may have."), "info")
    return redirect(url_for(".follow_up", survey_id=survey.id))


@bp.get("/surveys/<int:survey_id>/responses.csv")
@role_required(*COMMUNITY_MANAGERS)
def export_csv(survey_id: int):
    survey = _survey(survey_id, export=True)
    if survey.confidential:
        return _confidential()
    body = responses_csv(current_user, survey)
    return _download(body, "text/csv; charset=utf-8", f"survey-{survey.id}-responses.csv")


@bp.get("/surveys/<int:survey_id>/responses.xlsx")
@role_required(*COMMUNITY_MANAGERS)
def export_xlsx(survey_id: int):
    survey = _survey(survey_id, export=True)
    if survey.confidential:
        return _confidential()
    body = responses_xlsx(current_user, survey)
    return _download(body, XLSX, f"survey-{survey.id}-responses.xlsx")


@bp.get("/surveys/<int:survey_id>/responses-long.csv")
@role_required(*COMMUNITY_MANAGERS)
def export_long_csv(survey_id: int):
    survey = _survey(survey_id, export=True)
    if survey.confidential:
        return _confidential()
    body = responses_long_csv(current_user, survey)
    return _download(body, "text/csv; charset=utf-8", f"survey-{survey.id}-responses-long.csv")
