"""The form of a patrol finding (``/patrols/new``): the community and category are offered by the page (the
communities the user patrols, their localities' categories)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from participation.complaints.patrols import MAX_DESCRIPTION, MAX_PLACE


class FindingForm(FlaskForm):
    community = SelectField(_l("Community"), validate_choice=True,
                            validators=[DataRequired(message=_l("Choose the community."))])
    category = SelectField(_l("What is it about?"), coerce=int, validate_choice=True,
                           validators=[DataRequired(message=_l("Choose what the finding is about."))])
    building = StringField(_l("Building (optional)"), validators=[Length(max=40)],
                           render_kw={"maxlength": 40, "autocomplete": "off", "inputmode": "numeric"})
    place = StringField(_l("Place (optional), e.g. the roof of building 3"),
                        validators=[Length(max=MAX_PLACE, message=_l("At most %(max)d characters, please."))],
                        render_kw={"maxlength": MAX_PLACE, "autocomplete": "off"})
    description = TextAreaField(_l("What did you find?"), validators=[
        DataRequired(message=_l("Describe what you found.")),
        Length(max=MAX_DESCRIPTION, message=_l("At most %(max)d characters, please."))],
        render_kw={"rows": 6, "maxlength": MAX_DESCRIPTION})
    photos = MultipleFileField(_l("Photos (optional, up to 3)"), render_kw={"accept": "image/*"})
    submit = SubmitField(_l("Record the finding"))
