"""The elevator pages' forms. They check the shape of what was typed; the rules are participation.elevators.operations'.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from participation.elevators.operations import CONSENT_CHANNELS
from participation.labels import CHANNEL_LABELS

NOTE = Length(max=500, message=_l("The text is too long (at most %(max)d characters)."))


class StartForm(FlaskForm):
    note = TextAreaField(_l("Why your 单元 needs an elevator (optional)"), validators=[Optional(), NOTE],
                         render_kw={"rows": 2})


class EstimateForm(FlaskForm):
    cost_estimate = StringField(_l("Cost estimate for this 单元 (yuan)"), validators=[Length(max=30)],
                                render_kw={"inputmode": "decimal", "autocomplete": "off"})


class ShaftForm(FlaskForm):
    """The households whose 专有部分 the shaft would occupy; the choices are the 单元's households."""
    households = SelectMultipleField(_l("Homes the shaft would occupy"), coerce=int, validate_choice=True,
                                     widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class ConsentForm(FlaskForm):
    household = IntegerField(_l("Household"), validators=[InputRequired(message=_l("Choose the household."))])
    consent = RadioField(_l("The owner's answer"),
                         choices=[SelectChoice("yes", _l("Agrees")), SelectChoice("no", _l("Does not agree"))],
                         validators=[InputRequired(message=_l("Choose the owner's answer."))])
    channel = SelectField(_l("How it was given"),
                          choices=[SelectChoice(channel, CHANNEL_LABELS[channel]) for channel in CONSENT_CHANNELS],
                          validators=[InputRequired(message=_l("Choose how the owner gave the answer."))])
    note = StringField(_l("Note"), validators=[Optional(), NOTE])


class ConsentVoteForm(FlaskForm):
    """Open the owners' consent vote on a request; the time is Beijing time."""
    closes_at = DateTimeLocalField(_l("Voting closes (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message=_l("Enter when voting closes."))])
    hide_tallies = BooleanField(_l("Hide the counts until voting closes (participation only)"))
