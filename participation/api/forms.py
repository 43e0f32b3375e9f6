"""The admin page of API tokens (/admin/api-tokens)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from participation.labels import ROLE_LABELS


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Name of the system using it"), validators=[DataRequired(), Length(max=30)])
    role = SelectField(_l("Acts as"), choices=[SelectChoice(code, text) for code, text in ROLE_LABELS.items()])
    communities = StringField(_l("Community codes (separated by spaces; empty: the role's whole scope)"),
                              validators=[Length(max=500)])
    submit = SubmitField(_l("Create the token"))


class RevokeTokenForm(FlaskForm):
    submit = SubmitField(_l("Revoke"))
