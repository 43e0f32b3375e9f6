"""Forms of the hotline desk: finding the caller, taking the call, and one form per ticket action."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, MultipleFileField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from participation.labels import URGENCY_LABELS
from participation.models.complaints import SATISFACTION, URGENCIES

DESK_CHANNELS = ("hotline_12345", "community_hotline", "walk_in")
CHANNEL_NAMES = {"hotline_12345": _l("12345 transfer"), "community_hotline": _l("Community hotline"),
                 "walk_in": _l("Walk-in")}


class CallerSearchForm(FlaskForm):
    """GET: no CSRF. By address (community + building/unit/room or free text) or by phone."""

    class Meta:
        csrf = False

    community = StringField(_l("Community (code or name)"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address, e.g. 3-2-502"), validators=[Optional(), Length(max=60)])
    building = StringField(_l("Building"), validators=[Optional(), Length(max=20)])
    unit = StringField(_l("Unit (stairwell)"), validators=[Optional(), Length(max=20)])   # 单元, not 单位
    room = StringField(_l("Room"), validators=[Optional(), Length(max=20)])
    phone = StringField(_l("Caller's phone"), validators=[Optional(), Length(max=30)],
                        render_kw={"type": "tel", "autofocus": True, "autocomplete": "off"})
    find = SubmitField(_l("Find the caller"))


class IntakeForm(FlaskForm):
    household = HiddenField()
    community = StringField(_l("Community (code or name)"), validators=[Optional(), Length(max=100)])
    building = StringField(_l("Building"), validators=[Optional(), Length(max=20)])
    caller_name = StringField(_l("Caller's name (outside the roster)"), validators=[Optional(), Length(max=40)])
    caller_phone = StringField(_l("Caller's phone (outside the roster)"), validators=[Optional(), Length(max=20)],
                               render_kw={"type": "tel"})
    channel = SelectField(_l("Channel"), choices=[SelectChoice(code, CHANNEL_NAMES[code]) for code in DESK_CHANNELS])
    external_number = StringField(_l("12345 ticket number (工单号)"), validators=[Optional(), Length(max=40)])
    category = SelectField(_l("Category"), validators=[DataRequired()])
    place = StringField(_l("Place (a common area)"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("What is the problem?"), validators=[DataRequired(), Length(max=4000)],
                                render_kw={"rows": 5})
    urgency = SelectField(_l("Urgency"), choices=[SelectChoice(code, URGENCY_LABELS[code]) for code in URGENCIES])
    complex_case = BooleanField(_l("Complex case (longer time limit)"))
    decision = HiddenField()
    submit = SubmitField(_l("Check and file"))


def _id_or_none(value) -> int | None:
    """An organisation's id as the select sends it; None for "Choose the agency…" (an empty value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return int(value)


class TicketActionForm(FlaskForm):
    """Every action's fields; each action's form on the page shows only its own, the operation checks them."""
    action = HiddenField(validators=[DataRequired()])
    agency = SelectField(_l("Agency"), coerce=_id_or_none, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
    until = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    # The call-back's answers start empty ("Choose…"): a default would be counted in 解决率 and 满意率 when
    # nobody asked. Only the call-back needs them, so they are checked here rather than by choice validation.
    solved = SelectField(_l("Solved?"), choices=[SelectChoice("", _l("Choose…")), SelectChoice("yes", _l("Yes")),
                                                     SelectChoice("no", _l("No"))], validate_choice=False)
    satisfaction = SelectField(_l("Satisfaction"), validate_choice=False)
    original = StringField(_l("Receipt of the original ticket"), validators=[Length(max=20)])
    # the reply's proof of the fix; participation.complaints.photos decodes and checks them
    photos = MultipleFileField(_l("Photos of the fix"), render_kw={"accept": "image/jpeg,image/png,image/webp"})

    def validate_agency(self, field) -> None:
        # nothing is chosen for the desk beforehand: a ticket sent without a choice must be refused, not sent to
        # whichever agency came first
        if self.action.data in ("dispatch", "reassign") and field.data is None:
            raise ValidationError(_l("Choose the agency to send the ticket to."))

    def validate_original(self, field) -> None:
        if self.action.data == "mark_duplicate" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the receipt of the original ticket."))

    def validate_solved(self, field) -> None:
        if self.action.data == "callback" and field.data not in ("yes", "no"):
            raise ValidationError(_l("Choose whether the resident says the problem was solved."))

    def validate_satisfaction(self, field) -> None:
        if self.action.data == "callback" and field.data not in SATISFACTION:
            raise ValidationError(_l("Choose how satisfied the resident is."))
