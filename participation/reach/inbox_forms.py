"""The inbox's forms: a household's choice about the SMS it may refuse, and the button that marks messages read."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput

RECEIVE, REFUSE = "opt_in", "opt_out"   # the values of SmsConsent.choice


class SmsChoiceForm(FlaskForm):
    """Shown with the household's current choice selected: that is a setting it reads back, not an answer the
    product counts, so nothing here is pre-selected on anyone's behalf (a household that never chose receives)."""

    choice = RadioField(_l("Notice SMS (surveys, reminders, ratings and the like)"),
                        choices=[SelectChoice(RECEIVE, _l("Send them to me")),
                                 SelectChoice(REFUSE, _l("Do not send them"))],
                        validators=[InputRequired(message=_l("Please choose whether to receive notice SMS."))])


class MarkReadForm(FlaskForm):
    """"Mark all as read" up to the newest message the page showed: one that arrives between the page and the
    click stays unread."""

    upto = IntegerField(validators=[InputRequired(), NumberRange(min=1)], widget=HiddenInput())
