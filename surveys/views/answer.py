"""Answering a survey at /s/<id>: the household that entered with its code, or a staff member acting for it
(staff-assisted mode, with the channel and the staff member recorded).

The form holds every page (``surveys.answering.paging``); the server shows one (``?page=n``) and hides the
questions the saved answers make irrelevant. Without JavaScript each "next page" is a post (``go``) that saves a
draft and shows the next page as the answers now decide; "fill" answers a grid's empty rows at once.
``static/js/survey.js`` pages the same form on the phone, asks this view which questions the answers so far hide
(``action=check``, nothing saved), keeps the answers on the phone while the network is away and sends them when it
returns (``Accept: application/json``). The server checks everything either way; the script decides nothing.
"""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _

from participation.api import error_response
from participation.entry import residents
from participation.extensions import db
from participation.handlers import withdraw
from participation.uploads import stored_file
from surveys.answering.checks import CONSENT_FIELD, clean_answers, hidden_questions, in_audience
from surveys.answering.forms import AnswerForm, chosen_action, raw_answers, shown_raw, shown_values
from surveys.answering.operations import (ResponseConflict, find_response, load_survey, response_values, revisions,
                                          save_response)
from surveys.answering.paging import answer_pages, need_links, page_of, simple_conditions
from surveys.answering.structure import structure
from surveys.models import Survey, SurveyStateError

bp = Blueprint("survey_answer", __name__)


def _lang() -> str:
    return "en" if str(get_locale() or "").startswith("en") else "zh"


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _private(html: str, status: int = 200):
    return html, status, {"Cache-Control": "no-store"}


def _load(survey_id: int, *, pages: bool = False):
    """(acting, survey) or a response to return: back to the entry when nobody entered, to the notice when it was
    not accepted yet; 404 for a survey the household does not meet (another community, a draft, a template).
    ``pages``: the page renders the questions, so load them all at once; otherwise only the survey row is read
    (checking and saving answers read the structure cached by surveys.answering.structure)."""
    acting = residents.acting()
    if acting is None:
        if _wants_json():
            return None, None, error_response(401, _("Please open your household's page again."))
        flash(_("Please open your household's page again: scan the QR code on your slip or type your household "
                "code."), "warning")
        return None, None, redirect(url_for("main.index"))
    survey = load_survey(survey_id) if pages else db.session.get(Survey, survey_id)
    household = acting.household
    if survey is None or survey.is_template or survey.community_id != household.unit.building.community_id \
            or survey.effective_status() == "draft":
        abort(404)
    if household.notice_accepted_at is None:
        return None, None, redirect(url_for("resident.notice"))
    return acting, survey, None


def _pages(survey: Survey, household) -> list:
    """(section, questions this household is asked) per section, in order, for the read-only closed page."""
    pages = []
    for section in sorted(survey.sections, key=lambda s: s.position):
        questions = [q for q in sorted(section.questions, key=lambda q: q.position) if in_audience(q, household)]
        if questions:
            pages.append((section, questions))
    return pages


def _render_form(acting, survey, response, *, values, errors=None, consent=False, status=200, current=None):
    household = acting.household
    pages = answer_pages(survey, household)
    if errors:
        current = min((page_of(pages, name) or len(pages) for name in errors), default=current)
    current = min(max(current or 1, 1), max(len(pages), 1))
    # The separate consent (PIPL Arts. 28–29) sits on the page of the first sensitive question.
    consent_page = next((page.number for page in pages if any(q.sensitive for q in page.questions)), None)
    # What the answers so far hide is left out of the page (sensitive questions stay: their consent is on the page).
    hidden = hidden_questions(survey, household, values, consent=True)
    links = need_links(survey)
    needed = {code for code, name in links.items() if values.get(name) == "need"}
    staff_view = acting.assisted
    return _private(render_template(
        "surveys/answer.html", survey=survey, acting=acting, household=household, response=response,
        pages=pages, current=current, hidden=hidden, need_links=links, needed=needed,
        conditions=simple_conditions(survey),
        values=values, errors=errors or {}, consent=consent, consent_page=consent_page,
        form=AnswerForm(), lang=_lang(), history=revisions(response) if response is not None and staff_view else [],
        consent_field=CONSENT_FIELD), status)


@bp.get("/s/<int:survey_id>")
def show(survey_id: int):
    acting, survey, away = _load(survey_id, pages=True)
    if away is not None:
        return away
    response = find_response(survey, acting.household)
    values = response_values(response) if response is not None else {}
    if survey.effective_status() == "closed":
        return _private(render_template("surveys/answer_closed.html", survey=survey, response=response,
                                        household=acting.household, values=values, lang=_lang(),
                                        pages=_pages(survey, acting.household)))
    return _render_form(acting, survey, response, values=shown_values(values),
                        consent=response is not None and response.sensitive_consent_at is not None,
                        current=request.args.get("page", type=int))


@bp.post("/s/<int:survey_id>")
def save(survey_id: int):
    acting, survey, away = _load(survey_id)
    if away is not None:
        return away
    household = acting.household
    raw = raw_answers(survey, request.form, request.files)
    action = chosen_action(request.form)
    going = _page_number(request.form.get("go"))
    if "go" in request.form or "fill" in request.form:
        action = "go"
    if action == "check":
        return jsonify(ok=True, hidden=sorted(hidden_questions(survey, household, raw)))
    if survey.effective_status() != "open":
        return _refused(survey, _("This survey is closed. Your answers can no longer be changed."))
    # Locked now (edits of one response take turns) and handed to save_response, which then does not read it again.
    response = find_response(survey, household, lock=True)
    # A submitted response stays submitted: every later save is a checked edit, never a draft again.
    submit = action == "submit" or (response is not None and response.status == "submitted")
    consent = request.form.get(CONSENT_FIELD) == "1"
    previous = response_values(response) if response is not None else {}
    here = _page_number(request.form.get("page")) or 1
    if action == "go" and going is None:   # "fill", or a page number that is none
        going = here
        _fill_grid(survey, household, raw, request.form.get("fill") or "")
    values, errors = clean_answers(survey, household, raw, lang=_lang(), consent=consent, check_required=submit,
                                   previous=previous)
    if errors:
        # Nothing was written (clean_answers only reads, and discards photos it stored), so the request's commit
        # has nothing to save; no rollback here, which would expire the survey and reload it page by page to show it.
        if _wants_json():
            return error_response(400, _("Some answers need another look. They are marked below."), fields=errors,
                                  hidden=sorted(hidden_questions(survey, household, raw)))
        flash(_("Some answers need another look. They are marked below."), "error")
        load_survey(survey_id)   # the form shows every page again
        return _render_form(acting, survey, response, values=shown_raw(raw), errors=errors, consent=consent,
                            status=400, current=here)
    if action == "go":
        unchanged = response is not None and values == previous and \
            (response.sensitive_consent_at is not None) == (consent and any(q.sensitive for q in survey.questions))
        if not unchanged:
            _saved, refusal = _save_or_refuse(acting, survey, values, submit=submit, consent=consent,
                                              existing=response)
            if refusal is not None:
                return refusal
        return redirect(_next_page(survey, household, raw, previous, consent, here, going))
    saved, refusal = _save_or_refuse(acting, survey, values, submit=submit, consent=consent, existing=response)
    if refusal is not None:
        return refusal
    response, raced = saved
    status, receipt_number, version = response.status, response.receipt, response.version
    hidden = sorted(hidden_questions(survey, household, raw, consent=consent)) if _wants_json() else None
    message = _("Your answers were submitted.") if status == "submitted" and action == "submit" else \
        _("Your answers were saved. You can change them until the survey closes.")
    if raced:
        message = _("This household's answers were also being saved another way at the same moment (for example "
                    "on paper). Yours were saved as the latest version; the other one is kept in the history.")
    if _wants_json():
        return jsonify(ok=True, status=status, receipt=receipt_number if submit else None, version=version,
                       message=message, hidden=hidden,
                       next=url_for(".receipt", survey_id=survey_id) if submit else None)
    flash(message, "warning" if raced else "info")
    if submit:
        return redirect(url_for(".receipt", survey_id=survey_id))
    return redirect(url_for(".show", survey_id=survey_id))


def _page_number(text) -> int | None:
    return int(text) if isinstance(text, str) and text.isdigit() and len(text) < 4 else None


def _next_page(survey, household, raw, previous, consent, here: int, going: int) -> str:
    """Where a page step leads: the page asked for, unless the answers just given make questions on this page
    relevant that were not asked yet (a follow-up): then this page again, at the first of them."""
    pages = answer_pages(survey, household)
    before = hidden_questions(survey, household, shown_values(previous), consent=True)
    after = hidden_questions(survey, household, raw, consent=True)
    page = next((p for p in pages if p.number == here), None)
    new = [q.name for q in page.questions if q.name in before and q.name not in after
           and q.type != "note" and not raw.get(q.name)] if page is not None else []
    if new and going != here:
        return url_for(".show", survey_id=survey.id, page=here, _anchor=f"q-{new[0]}-box")
    return url_for(".show", survey_id=survey.id, page=going, _anchor="survey-form")


def _fill_grid(survey, household, raw: dict, fill: str) -> None:
    """"The rows not answered yet: <choice>" — the grid of ``fill``'s first question gets that answer in each of
    its rows still empty; answered rows keep theirs. Anything that is not a grid and one of its choices is ignored."""
    first, _sep, choice = fill.partition(":")
    for page in answer_pages(survey, household):
        for kind, questions in page.blocks:
            if kind == "grid" and questions[0].name == first \
                    and choice in {c.name for c in questions[0].choices} | ({"yes", "no"} if not questions[0].choices
                                                                           and questions[0].type == "yes_no" else set()):
                hidden = hidden_questions(survey, household, raw, consent=True)
                for question in questions:
                    if not raw.get(question.name) and question.name not in hidden:
                        raw[question.name] = choice
                return


def _save_or_refuse(acting, survey, values, *, submit, consent, existing):
    """``((response, raced), None)`` once saved, or ``(None, the refusal page)`` when the survey closed meanwhile or
    another save of the household's answers won the race; what was flushed is withdrawn either way."""
    try:
        return _save(acting, survey, values, submit=submit, consent=consent, existing=existing), None
    except SurveyStateError as error:
        withdraw(error)
        return None, _refused(survey, _("This survey is closed. Your answers can no longer be changed."))
    except ResponseConflict as error:
        withdraw(error)
        return None, _refused(survey, _("Someone else was saving this household's answers at the same moment. "
                                        "Please try again."), status=409)


def _save(acting, survey, values, *, submit: bool, consent: bool, existing):
    """Save; when another request created the response in the same moment, save again as an edit of it (one
    response per household, the other version kept in the history). Returns (response, whether it raced)."""
    for attempt in (1, 2):
        try:
            # The second attempt reads the response again: it is the one the other request created.
            response = save_response(acting.staff, survey, acting.household, values, channel=acting.channel,
                                     staff=acting.staff, submit=submit, sensitive_consent=consent,
                                     **({"existing": existing} if attempt == 1 else {}))
            return response, attempt > 1
        except ResponseConflict:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _refused(survey: Survey, message: str, status: int = 409):
    if _wants_json():
        return error_response(status, message)
    flash(message, "error")
    return redirect(url_for(".show", survey_id=survey.id))


@bp.get("/s/<int:survey_id>/receipt")
def receipt(survey_id: int):
    acting, survey, away = _load(survey_id)
    if away is not None:
        return away
    response = find_response(survey, acting.household)
    if response is None or response.status != "submitted":
        return redirect(url_for(".show", survey_id=survey.id))
    return _private(render_template("surveys/answer_receipt.html", survey=survey, response=response,
                                    household=acting.household, lang=_lang()))


@bp.get("/s/<int:survey_id>/photo/<name>")
def photo(survey_id: int, name: str):
    """The household's own photo answer; it is never served to another household."""
    acting, survey, away = _load(survey_id)
    if away is not None:
        abort(404)
    response = find_response(survey, acting.household)
    question = next((q for q in structure(survey).questions if q.name == name and q.type == "photo"), None)
    relative = response_values(response).get(name) if response is not None and question is not None else None
    path = stored_file(relative) if relative else None
    if path is None:
        abort(404)
    result = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    result.headers["Cache-Control"] = "private, no-store"
    return result
