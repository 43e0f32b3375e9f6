"""The acceptance pages' forms: opening a rating round, the joint acceptance record, and a household's rating.
They check the shape of what was typed; the rules are participation.acceptance.operations's."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from participation.acceptance.operations import MAX_RESULT_TEXT
from participation.labels import SATISFACTION_LABELS as RATING_WORDS  # 满意 / 基本满意 / 不满意
from participation.models.acceptance import MAX_COMMENT, RATINGS
from participation.plans.forms import override_field


class OpenRoundForm(FlaskForm):
    subject = SelectField(_l("What residents rate"), validators=[InputRequired(_l("Choose what residents rate."))])
    buildings = SelectMultipleField(_l("Only these buildings (none chosen: the whole community)"), coerce=int,
                                    validators=[Optional()])
    closes_on = DateField(_l("Open until (the end of the day)"),
                          validators=[InputRequired(_l("Enter the last day of the rating."))])
    hide_tallies = BooleanField(_l("Hide the tallies until it closes (show participation only)"), default=True)
    override_reason = override_field()     # administrators only: open although the gate is not met


class RecordForm(FlaskForm):
    subjects = SelectMultipleField(_l("Items covered"), validators=[DataRequired(_l("Choose the items the record "
                                                                                    "covers."))])
    result_text = TextAreaField(_l("Result of the joint acceptance"), render_kw={"rows": 3}, validators=[
        DataRequired(_l("Write the result of the joint acceptance.")),
        Length(max=MAX_RESULT_TEXT, message=_l("The text is too long (at most %(max)d characters)."))])


class RateForm(FlaskForm):
    rating = RadioField(_l("Your rating"), choices=[SelectChoice(code, RATING_WORDS[code]) for code in RATINGS],
                        validators=[InputRequired(_l("Tap 满意, 基本满意 or 不满意."))])
    comment = TextAreaField(_l("What you want to say (optional)"), render_kw={"rows": 3, "maxlength": MAX_COMMENT},
                            validators=[Optional(), Length(max=MAX_COMMENT, message=_l(
                                "At most %(max)d characters, please."))])
    photo = FileField(_l("A photo (optional)"), render_kw={"accept": "image/*"})
