"""Owner votes' forms (民法典第二百七十八条): creating a vote, the staff's buttons and paper ballots, the owner's
ID tail, the ballot and an objection. They check the shape of what was sent; the rules are
participation.votes.operations'. The words for a vote's codes (status, scope, class, choice) live here too.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, RadioField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

VOTE_STATUS_LABELS = {
    "draft": _l("Draft"), "open": _l("Voting open"), "preliminary": _l("Preliminary result (objection period)"),
    "final": _l("Final result"), "cancelled": _l("Cancelled"),
}
VOTE_SCOPE_LABELS = {"community": _l("The whole community"), "buildings": _l("Some buildings"),
                     "unit": _l("One 单元")}
MATTER_CLASS_LABELS = {"ordinary": _l("Ordinary matter (双过半)"), "special": _l("Special matter (双四分之三)")}
CHOICE_LABELS = {"yes": _l("同意 (yes)"), "no": _l("反对 (no)"), "abstain": _l("弃权 (abstain)")}
BALLOT_CHANNEL_LABELS = {"web": _l("Online, by the owner"), "paper": _l("On paper, entered by staff"),
                         "assisted": _l("Entered by staff for the owner"),
                         "in_person": _l("In person, entered by staff who checked the owner's ID card")}
MAX_TEXT = 2000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("The text is too long (at most %(max)d characters)."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VoteForm(FlaskForm):
    """A new vote; ``matter``'s, ``buildings``', ``unit``'s and ``plan_items``' choices are set by the view
    (``plan_items``: catalogue item ids of the newest plan version's items that need an owner vote)."""
    matter = SelectField(_l("Matter (民法典第二百七十八条)"), coerce=int,
                         validators=[InputRequired(message=_l("Choose one of the nine matters of Art. 278 (1 to 9)."))])
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Enter a title.")), _too_long(200)])
    description = TextAreaField(_l("What is decided (optional)"), validators=[Optional(), _too_long(MAX_TEXT)],
                                render_kw={"rows": 4})
    scope = RadioField(_l("Who votes"), default="community",
                       choices=[SelectChoice(code, text) for code, text in VOTE_SCOPE_LABELS.items()],
                       validators=[DataRequired(message=_l("Choose the scope: the community, some buildings or "
                                                           "one unit."))])
    buildings = MultiCheckboxField(_l("Buildings"), coerce=int, validate_choice=False)
    unit = SelectField(_l("单元"), coerce=lambda value: int(value) if value not in (None, "") else None,
                       validate_choice=False)
    opens_at = DateTimeLocalField(_l("Voting opens (optional)"), format=DATETIME_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Voting closes (optional)"), format=DATETIME_FORMAT, validators=[Optional()])
    plan_items = MultiCheckboxField(_l("Plan items this vote decides"), coerce=int, validate_choice=False)
    hide_tallies = BooleanField(_l("Hide the yes and no counts until voting closes (participation stays visible)"))
    save_draft = SubmitField(_l("Save as draft"))
    open_now = SubmitField(_l("Save and open voting now"))


class CancelForm(FlaskForm):
    reason = StringField(_l("Why it is cancelled"), validators=[DataRequired(message=_l(
        "Give the reason for cancelling.")), _too_long(500)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(message=_l("Write the answer.")),
                                                     _too_long(MAX_TEXT)], render_kw={"rows": 2})


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), validators=[DataRequired(message=_l("Write the objection.")),
                                                         _too_long(MAX_TEXT)], render_kw={"rows": 4})


class RegisterCorrectionForm(FlaskForm):
    """A correction of one unit of a vote's register while voting is open (owner identity, area, reason)."""
    owner = StringField(_l("Owner (业主标识)"), validators=[DataRequired(message=_l("Enter the owner's 业主标识.")),
                                                         _too_long(64)])
    area = StringField(_l("Area (m²)"), validators=[DataRequired(message=_l(
        "The area must be a number of square metres, such as 56.78.")), _too_long(20)],
        render_kw={"inputmode": "decimal"})
    reason = TextAreaField(_l("Why the register is corrected"), validators=[DataRequired(message=_l(
        "Give the reason for the correction.")), _too_long(500)], render_kw={"rows": 3})


class PaperBallotForm(FlaskForm):
    """A paper ballot for one household, entered by organiser staff from the sheet its owner signed."""
    household = HiddenField(validators=[DataRequired(message=_l("Find and choose the household first."))])
    choice = RadioField(_l("The owner's choice"),
                        choices=[SelectChoice(code, text) for code, text in CHOICE_LABELS.items()],
                        validators=[DataRequired(message=_l("Choose 同意, 反对 or 弃权."))])
    checked = BooleanField(_l("I hold this sheet, signed by the owner"),
                           validators=[DataRequired(message=_l("Confirm that you hold the sheet the owner signed."))])
    sheet_no = StringField(_l("Sheet number (票号, optional)"),
                           validators=[Optional(), Length(max=40, message=_l("A sheet number has at most 40 letters "
                                                                             "and digits."))])


class ImportForm(FlaskForm):
    file = FileField(_l("Ballot file (.xlsx, .xls or .csv: 楼栋, 单元, 房号, 选择)"))
    double_keying = BooleanField(_l("Double keying: hold this file until a second person keys the same sheets"))


class VerifyForm(FlaskForm):
    tail = StringField(_l("Last 6 characters of the owner's ID number"),
                       validators=[DataRequired(message=_l("Type the last 6 characters of the owner's ID number.")),
                                   Length(min=6, max=6, message=_l("Type exactly 6 characters."))],
                       render_kw={"autocomplete": "off", "maxlength": 6, "inputmode": "text"})


class BallotForm(FlaskForm):
    """The ballot: a choice button, then the confirmation naming it (``confirmed``). Staff with the owner in person
    type the owner's ID tail from the ID card (``tail``); the confirmation carries the check it made (``check``)."""
    choice = HiddenField()
    confirmed = HiddenField()
    tail = StringField(_l("Last 6 characters of the owner's ID number, read from the owner's ID card"),
                       validators=[Optional(), Length(min=6, max=6, message=_l("Type exactly 6 characters."))],
                       render_kw={"autocomplete": "off", "maxlength": 6, "inputmode": "text"})
    check = HiddenField()
