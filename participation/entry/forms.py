"""Forms of resident entry, the code slips and staff-assisted mode. They validate and never save."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from participation.entry.assisted import ASSIST_CHANNELS
from participation.labels import CHANNEL_LABELS


class EntryForm(FlaskForm):
    """One large field; the slip's QR fills it from the URL fragment (static/js/entry.js), people type it."""

    code = StringField(
        _l("Household code"),
        validators=[DataRequired(message=_l("Please type the household code printed on your slip.")),
                    Length(max=40, message=_l("A household code has 9 letters and digits."))],
        render_kw={"inputmode": "text", "autocomplete": "off", "autocapitalize": "characters",
                   "autocorrect": "off", "spellcheck": "false", "class": "code code-entry", "maxlength": 40})
    # A pass for tries from a busy address (entry/challenge.py): the signed challenge and, when the
    # browser solved it, the counter it found. Empty on other pages; checked by the operation, not here.
    challenge = HiddenField(validators=[Optional(), Length(max=200)])
    proof = HiddenField(validators=[Optional(), Length(max=12)])
    submit = SubmitField(_l("Open my household's page"))


class SwitchForm(FlaskForm):
    """Asked when a slip of another household is scanned in a browser that already shows one: two buttons."""

    switch = SubmitField(_l("Switch"))
    stay = SubmitField(_l("Stay in this household"))


class NoticeForm(FlaskForm):
    """Accept or decline the processing notice: two submit buttons of one form."""

    accept = SubmitField(_l("I have read it and agree"))
    decline = SubmitField(_l("I do not agree"))


class AssistedNoticeForm(FlaskForm):
    confirm = BooleanField(_l("The resident heard or read this notice and agreed to it"),
                           validators=[DataRequired(message=_l("Tick the box once the resident has agreed."))])
    submit = SubmitField(_l("Record the resident's agreement"))


class IssueSlipsForm(FlaskForm):
    mode = RadioField(_l("Which households"), default="missing",
                      choices=[SelectChoice("missing", _l("Only households without a code yet")),
                               SelectChoice("all", _l("Every household: new codes, the old slips stop working"))])
    confirmed = HiddenField()
    submit = SubmitField(_l("Issue codes and print"))


class HouseholdSearchForm(FlaskForm):
    """Sent by GET, so it carries no CSRF token; it only narrows a list."""

    class Meta:
        csrf = False

    community = SelectField(_l("Community"), choices=[], validate_choice=True)
    building = StringField(_l("Building"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "text"})
    unit = StringField(_l("Unit (stairwell)"), validators=[Optional(), Length(max=20)])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "numeric"})
    submit = SubmitField(_l("Search"))


class AssistForm(FlaskForm):
    channel = RadioField(_l("How are you helping?"),
                         choices=[SelectChoice(channel, CHANNEL_LABELS[channel]) for channel in ASSIST_CHANNELS],
                         validators=[DataRequired(message=_l("Choose how you are helping the household."))])
    submit = SubmitField(_l("Act for this household"))
