"""The hub's stage form: the stage to move to and, when asked for, the reason (going back; an admin's override)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from participation.models.lifecycle import REASON_MAX


class StageForm(FlaskForm):
    stage = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=REASON_MAX, message=_l(
        "The text is too long (at most %(max)d characters)."))], render_kw={"rows": 2})
