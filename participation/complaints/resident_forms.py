"""The resident's complaint form (投诉/反映问题). Validates only; the view hands the data to
``participation.complaints.photos.file_with_photos``, which decodes the photos."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from participation.complaints.operations import MAX_DESCRIPTION
from participation.labels import URGENCY_LABELS
from participation.models.complaints import URGENCIES

MAX_PLACE = 100
# Plain words for each urgency, shown under the choice.
URGENCY_HINTS = {
    "normal": _l("It can wait a few days."),
    "urgent": _l("It affects daily life now: no water, no light in the stairwell, a blocked door."),
    "emergency": _l("Danger to people: a gas smell, a wall that may fall, sparks. Call 119 or 110 first if "
                    "anyone is in danger."),
}


class ComplaintForm(FlaskForm):
    category = RadioField(_l("What is it about?"), coerce=int,
                          invalid_choice_message=_l("Choose what the problem is about."))
    where = RadioField(_l("Where is it?"), choices=[
        SelectChoice("home", _l("At my home (my building and stairwell)")),
        SelectChoice("common", _l("In a common area of the community")),
    ], default="home", invalid_choice_message=_l("Choose where the problem is."))
    place = StringField(_l("Which common area?"), validators=[Length(max=MAX_PLACE, message=_l(
        "At most %(max)d characters, please."))], render_kw={"maxlength": MAX_PLACE, "autocomplete": "off"})
    description = TextAreaField(_l("What is the problem?"), validators=[
        DataRequired(message=_l("Describe the problem.")),
        Length(max=MAX_DESCRIPTION, message=_l("At most %(max)d characters, please."))],
        render_kw={"rows": 6, "maxlength": MAX_DESCRIPTION})
    urgency = RadioField(_l("How urgent is it?"), choices=[SelectChoice(u, URGENCY_LABELS[u]) for u in URGENCIES],
                         default="normal", invalid_choice_message=_l("Choose how urgent it is."))
    photos = MultipleFileField(_l("Photos (optional, up to 3)"), render_kw={"accept": "image/*"})
    submit = SubmitField(_l("Send"))

    def validate_place(self, field) -> None:
        if self.where.data == "common" and not (field.data or "").strip():
            raise ValidationError(_l("Name the common area, for example “the gate of building 3”."))
