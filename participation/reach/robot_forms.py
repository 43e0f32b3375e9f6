"""The robot form: its group (admins' new robots only), name, webhook address, the kinds it takes, on or off.

It checks only the shape; ``participation.reach.robots`` checks the address (host, key) and the kinds, and says
what is wrong in words. The kinds' choices are fixed here: every kind a robot may take, with its label.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from participation.reach.kinds import KINDS, ROBOT_KINDS


class KindsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(name, KINDS[name].label) for name in ROBOT_KINDS]


class RobotForm(FlaskForm):
    # Not validated against the choices here: a tampered value gets the operation's message, not WTForms' English.
    group = SelectField(_l("Staff group"), choices=[], validate_choice=False)
    name = StringField(_l("Name"), render_kw={"maxlength": 60, "autocomplete": "off"})
    webhook_url = StringField(_l("Webhook address"),
                              render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"})
    kinds = KindsField(_l("Messages the group gets"), choices=kind_choices, validate_choice=False)
    active = BooleanField(_l("Active: the group gets these messages"))
    submit = SubmitField(_l("Save"))
