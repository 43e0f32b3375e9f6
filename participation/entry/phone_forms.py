"""Forms of entry by phone and SMS code. They validate and never save; what a number or a code is decides
``phone_codes`` (one rule for the form and the operation)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, Length

from participation.entry.phone_codes import normalise_code, normalise_mobile


class PhoneForm(FlaskForm):
    """One large field for the mobile number: spaces and dashes are fine, as people copy it from a contact card."""

    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(message=_l("Please type your mobile number.")), Length(max=30)],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "class": "code code-entry", "maxlength": 30})
    submit = SubmitField(_l("Send me a code"))

    def validate_phone(self, field) -> None:
        if normalise_mobile(field.data) is None:
            raise ValidationError(_l("Please type the 11 digits of a mobile number, for example 138 1234 5678."))

    @property
    def mobile(self) -> str:
        return normalise_mobile(self.phone.data)


class CodeForm(FlaskForm):
    """The six digits of the SMS; ``one-time-code`` lets the phone offer the code from the message."""

    code = StringField(
        _l("Code from the SMS"),
        validators=[DataRequired(message=_l("Please type the 6 digits from the SMS.")), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "code code-entry",
                   "maxlength": 20, "pattern": "[0-9 ]*"})
    submit = SubmitField(_l("Open my household's page"))

    def validate_code(self, field) -> None:
        if normalise_code(field.data) is None:
            raise ValidationError(_l("The code has 6 digits. Please check the SMS."))

    @property
    def digits(self) -> str:
        return normalise_code(self.code.data)


class ChooseForm(FlaskForm):
    """Several households share the phone: the resident picks one; the view fills the choices."""

    household = RadioField(_l("Which household?"), coerce=int, choices=[],
                           validators=[DataRequired(message=_l("Choose your household."))])
    submit = SubmitField(_l("Open this household's page"))
