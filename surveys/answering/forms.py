"""The answer form: a survey's questions are data, so the request's fields are read by question name into the raw
dict ``clean_answers`` checks, instead of a WTForms class per survey. CSRF is checked by CSRFProtect as for every
POST; ``AnswerForm`` carries the token and the button pressed. ``ResponseUploadForm`` takes answers as a file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SubmitField

from surveys.answering.checks import CONSENT_FIELD
from surveys.answering.structure import structure
from surveys.answering.values import jsonable
from surveys.models import Survey

ACTIONS = ("draft", "submit", "check")
MULTI_TYPES = ("select_multiple", "rank")


class AnswerForm(FlaskForm):
    """What the page renders: the token and which button was pressed (save a draft, submit, or — paged form —
    check without saving)."""

    action = HiddenField()


def chosen_action(form: MultiDict) -> str:
    """The button pressed. The token was checked by CSRFProtect before the view ran, so saving builds no form
    object (a FlaskForm loads WTForms' message catalogue from disk on every request)."""
    action = form.get("action")
    return action if action in ACTIONS else "submit"


def raw_answers(survey: Survey, form: MultiDict, files: MultiDict) -> dict:
    """What the household sent, by question name: lists for picks and ranks (in the order of the fields), one string
    otherwise (several values for a single answer stay a list, which ``clean_answers`` refuses), uploads for photos.
    Fields that are no question (the token, buttons, forged names) are left out."""
    raw: dict = {}
    for question in structure(survey).questions:
        name = question.name
        if question.type == "photo":
            upload = files.get(name)
            if upload is not None:
                raw[name] = upload
            if f"{name}__remove" in form:
                raw[f"{name}__remove"] = form.get(f"{name}__remove")
            continue
        sent = form.getlist(name)
        if not sent:
            continue
        raw[name] = sent if question.type in MULTI_TYPES or len(sent) > 1 else sent[0]
    if CONSENT_FIELD in form:
        raw[CONSENT_FIELD] = form.get(CONSENT_FIELD)
    return raw


def shown_values(values: dict) -> dict:
    """Saved values as the form fields show them: text, or lists of choice names."""
    def one(value):
        if isinstance(value, list):
            return [str(item) for item in value]
        return "" if value is None else str(value)
    return {name: one(value) for name, value in jsonable(values).items()}


def shown_raw(raw: dict) -> dict:
    """What was typed, shown back next to its error (uploads cannot be shown back)."""
    return {name: value for name, value in raw.items() if isinstance(value, (str, list))}


class ResponseUploadForm(FlaskForm):
    """Paper or ODK/Kobo answers as a file; ``surveys.answering.imports`` reads and checks it."""
    file = FileField(_l("Answers file (.xlsx, .xls or .csv)"),
                     validators=[FileRequired(_l("Choose the file to import."))], render_kw={"accept": ".xlsx,.xls,.csv"})
    submit = SubmitField(_l("Check and import"))
