"""The builder's forms. They check what a person typed (lengths, numbers, dates) and never save; the operations in
``surveys.builder.operations`` and ``surveys.builder.questions`` apply the survey's own rules (unique names, expressions)."""
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from participation.formatting import BEIJING, beijing
from surveys.models import QUESTION_TYPES

_WIDE = str.maketrans("０１２３４５６７８９．－：", "0123456789.-:")
QUESTION_TYPE_LABELS = {
    "select_one": _l("Single choice"), "select_multiple": _l("Multiple choice"), "rank": _l("Ranking"),
    "rating": _l("Rating scale"), "yes_no": _l("Yes / no"), "integer": _l("Whole number"),
    "decimal": _l("Decimal number"), "text": _l("Short text"), "long_text": _l("Long text"),
    "phone": _l("Phone number"), "date": _l("Date"), "note": _l("Note (no answer)"), "photo": _l("Photo (optional)"),
}
VISIBILITY_LABELS = {"after_close": _l("Residents see the results after the survey closes"),
                     "never": _l("Residents never see the results")}
KIND_LABELS = {"blank": _l("Blank survey"), "needs": _l("Needs survey (需求调查) with the renovation items"),
               "template": _l("Copy of a template")}
NUMBER_SETTINGS = ("min_picks", "max_picks", "top_n", "min", "max")


def parse_local_datetime(text: str | None) -> datetime | None:
    """"2025-03-01T09:00" or "2025-03-01 09:00" (China time, as the browser's picker or a person writes it) → aware
    UTC; a date alone means midnight. Raises ValueError when it is not a date."""
    cleaned = (text or "").translate(_WIDE).strip().replace("T", " ")
    if not cleaned:
        return None
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(cleaned, pattern).replace(tzinfo=BEIJING).astimezone(ZoneInfo("UTC"))
        except ValueError:
            continue
    raise ValueError(cleaned)


def local_input(value: datetime | None) -> str:
    return beijing(value, "%Y-%m-%dT%H:%M")


def _number(text: str | None):
    cleaned = (text or "").translate(_WIDE).replace(",", "").strip()
    if not cleaned:
        return None
    number = Decimal(cleaned)   # InvalidOperation is a ValueError's sibling; callers catch both
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValueError(cleaned)
    return int(number) if number == number.to_integral_value() else float(number)


class DateTimeText(StringField):
    def pre_validate(self, form) -> None:
        try:
            parse_local_datetime(self.data)
        except ValueError as error:
            raise ValidationError(_l("Write a date and time such as 2025-03-01 09:00.")) from error

    @property
    def value(self) -> datetime | None:
        return parse_local_datetime(self.data)


class SurveySettingsForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[Length(max=200)])
    title_en = StringField(_l("Title (English, optional)"), validators=[Length(max=200)])
    description_zh = TextAreaField(_l("Introduction (Chinese)"), validators=[Length(max=2000)],
                                   render_kw={"rows": 3})
    description_en = TextAreaField(_l("Introduction (English, optional)"), validators=[Length(max=2000)],
                                   render_kw={"rows": 3})
    opens_at = DateTimeText(_l("Opens (China time, optional)"), render_kw={"type": "datetime-local"})
    closes_at = DateTimeText(_l("Closes automatically (China time, optional)"), render_kw={"type": "datetime-local"})
    confidential = BooleanField(_l("Confidential: organisers see only totals, groups under 5 households hidden"))
    results_visibility = RadioField(_l("Results for residents"), default="after_close",
                                    choices=[SelectChoice(code, text) for code, text in VISIBILITY_LABELS.items()],
                                    invalid_choice_message=_l("Choose when residents see the results."))
    submit = SubmitField(_l("Save"))

    def settings(self) -> dict:
        return {"title": {"zh": self.title_zh.data or "", "en": self.title_en.data or ""},
                "description": {"zh": self.description_zh.data or "", "en": self.description_en.data or ""},
                "opens_at": self.opens_at.value, "closes_at": self.closes_at.value,
                "confidential": self.confidential.data, "results_visibility": self.results_visibility.data}

    def fill(self, survey) -> None:
        self.title_zh.data, self.title_en.data = survey.title.get("zh", ""), survey.title.get("en", "")
        self.description_zh.data = survey.description.get("zh", "")
        self.description_en.data = survey.description.get("en", "")
        self.opens_at.data, self.closes_at.data = local_input(survey.opens_at), local_input(survey.closes_at)
        self.confidential.data, self.results_visibility.data = survey.confidential, survey.results_visibility


class NewSurveyForm(SurveySettingsForm):
    kind = RadioField(_l("Start from"), default="needs",
                      choices=[SelectChoice(code, text) for code, text in KIND_LABELS.items()],
                      invalid_choice_message=_l("Choose how to start the survey."))
    template = SelectField(_l("Template"), coerce=int, choices=[], validate_choice=False)
    submit = SubmitField(_l("Create the draft"))


class QuestionForm(FlaskForm):
    section = SelectField(_l("Page"), coerce=int, choices=[], invalid_choice_message=_l("Choose a page."))
    type = SelectField(_l("Type"), choices=[SelectChoice(code, QUESTION_TYPE_LABELS[code]) for code in QUESTION_TYPES],
                       invalid_choice_message=_l("Choose a question type."))
    name = StringField(_l("Name (for exports and conditions, such as need_lift)"), validators=[Length(max=60)])
    label_zh = TextAreaField(_l("Question (Chinese)"), validators=[Length(max=1000)], render_kw={"rows": 2})
    label_en = TextAreaField(_l("Question (English, optional)"), validators=[Length(max=1000)], render_kw={"rows": 2})
    hint_zh = StringField(_l("Hint (Chinese, optional)"), validators=[Length(max=500)])
    hint_en = StringField(_l("Hint (English, optional)"), validators=[Length(max=500)])
    required = BooleanField(_l("An answer is required"))
    sensitive = BooleanField(_l("Sensitive (health, disability): asks for separate consent"))
    relevant = StringField(_l("Ask only when (condition, optional)"), validators=[Length(max=1000)],
                           render_kw={"placeholder": "${need_B01} = 'need'", "autocomplete": "off"})
    constraint = StringField(_l("The answer must satisfy (optional)"), validators=[Length(max=1000)],
                             render_kw={"placeholder": ". >= 0", "autocomplete": "off"})
    constraint_message_zh = StringField(_l("Message when it does not (Chinese)"), validators=[Length(max=300)])
    constraint_message_en = StringField(_l("Message when it does not (English)"), validators=[Length(max=300)])
    min_picks = StringField(_l("Fewest picks (multiple choice)"), render_kw={"inputmode": "numeric"})
    max_picks = StringField(_l("Most picks (multiple choice)"), render_kw={"inputmode": "numeric"})
    top_n = StringField(_l("How many to rank (ranking)"), render_kw={"inputmode": "numeric"})
    min = StringField(_l("Lowest value (numbers, rating)"), render_kw={"inputmode": "decimal"})
    max = StringField(_l("Highest value (numbers, rating)"), render_kw={"inputmode": "decimal"})
    submit = SubmitField(_l("Save the question"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in NUMBER_SETTINGS:
            field = getattr(self, name)
            try:
                value = _number(field.data)
            except (ValueError, InvalidOperation):
                field.errors.append(_l("Write a number, such as 5."))
                valid = False
                continue
            if name != "min" and name != "max" and value is not None and value != int(value):
                field.errors.append(_l("Write a whole number."))
                valid = False
        return valid

    def fields(self) -> dict:
        return {
            "name": self.name.data or "", "type": self.type.data,
            "label": {"zh": self.label_zh.data or "", "en": self.label_en.data or ""},
            "hint": {"zh": self.hint_zh.data or "", "en": self.hint_en.data or ""},
            "required": self.required.data, "sensitive": self.sensitive.data,
            "relevant": self.relevant.data, "constraint": self.constraint.data,
            "constraint_message": {"zh": self.constraint_message_zh.data or "",
                                   "en": self.constraint_message_en.data or ""},
            "settings": {name: _number(getattr(self, name).data) for name in NUMBER_SETTINGS},
        }

    def fill(self, question) -> None:
        self.section.data, self.type.data, self.name.data = question.section_id, question.type, question.name
        for field in ("label", "hint", "constraint_message"):
            for lang in ("zh", "en"):
                getattr(self, f"{field}_{lang}").data = (getattr(question, field) or {}).get(lang, "")
        self.required.data, self.sensitive.data = question.required, question.sensitive
        self.relevant.data, self.constraint.data = question.relevant or "", question.constraint or ""
        for name in NUMBER_SETTINGS:
            value = (question.settings or {}).get(name)
            getattr(self, name).data = "" if value is None else str(value)


class ChoiceForm(FlaskForm):
    name = StringField(_l("Name (such as yes, B01, other)"), validators=[Length(max=60)])
    label_zh = StringField(_l("Choice (Chinese)"), validators=[Length(max=300)])
    label_en = StringField(_l("Choice (English, optional)"), validators=[Length(max=300)])
    submit = SubmitField(_l("Save the choice"))

    def label(self) -> dict:
        return {"zh": self.label_zh.data or "", "en": self.label_en.data or ""}


class SectionForm(FlaskForm):
    label_zh = StringField(_l("Page title (Chinese)"), validators=[Length(max=200)])
    label_en = StringField(_l("Page title (English, optional)"), validators=[Length(max=200)])
    relevant = StringField(_l("Show the page only when (condition, optional)"), validators=[Length(max=1000)],
                           render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Save the page"))

    def label(self) -> dict:
        return {"zh": self.label_zh.data or "", "en": self.label_en.data or ""}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CopyForm(FlaskForm):
    communities = CheckboxesField(_l("Copy to these communities"), coerce=int, choices=[],
                                  invalid_choice_message=_l("Choose among the communities listed."))
    submit = SubmitField(_l("Make the copies"))


class ItemsForm(FlaskForm):
    items = CheckboxesField(_l("Catalogue items"), choices=[],
                            invalid_choice_message=_l("Choose among the items listed."))
    elevator = BooleanField(_l("Ask the elevator question (households above the ground floor, in units where an "
                               "elevator is possible)"))
    submit = SubmitField(_l("Save the items"))


class DirectionForm(FlaskForm):
    direction = RadioField(choices=[SelectChoice("up", "up"), SelectChoice("down", "down")])
