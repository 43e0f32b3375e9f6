"""The after-care page's form: the mode and fee put to the owners. The rules are participation.aftercare.operations's."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from participation.labels import AFTERCARE_MODE_LABELS
from participation.models import AFTERCARE_MODES


class ProposalForm(FlaskForm):
    # "Choose…" first: the first mode is not put to the owners because nobody changed the box.
    mode = SelectField(_l("Management mode"), choices=[SelectChoice("", _l("Choose…"))] + [
        SelectChoice(mode, AFTERCARE_MODE_LABELS[mode]) for mode in AFTERCARE_MODES],
                       validators=[InputRequired(message=_l("Choose the management mode."))])
    fee = StringField(_l("Fee standard (yuan per m² per month)"), validators=[Length(max=12)],
                      render_kw={"inputmode": "decimal", "autocomplete": "off"})
    closes_at = DateTimeLocalField(_l("Voting closes (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message=_l("Enter when voting closes."))])
    hide_tallies = BooleanField(_l("Hide the counts until voting closes (participation only)"))
    note = TextAreaField(_l("Note for the owners (optional)"),
                         validators=[Optional(), Length(max=1000, message=_l(
                             "The text is too long (at most %(max)d characters)."))], render_kw={"rows": 2})
