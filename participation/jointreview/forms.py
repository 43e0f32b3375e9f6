"""Joint review forms: a party's word on an item, the organiser's answer, closing (with an admin's override reason),
a pipeline company's works, and the admin's list of parties. Forms validate and never save."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from participation.jointreview.labels import SPECIALITY_LABELS
from participation.models.lifecycle import REASON_MAX

DECISION_CHOICES = [SelectChoice("approved", _l("Approve")), SelectChoice("returned", _l("Return with comments"))]


def speciality_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("None"))] + [SelectChoice(code, text) for code, text in SPECIALITY_LABELS.items()]


class SignoffForm(FlaskForm):
    decision = RadioField(_l("Your word"), choices=DECISION_CHOICES, validate_choice=False)
    comment = TextAreaField(_l("Comments (required when you return the item)"), validators=[Length(max=2000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer to the comments"), validators=[Length(max=2000)])


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("Override reason (administrators only)"), validators=[Length(max=REASON_MAX)])


class WorkForm(FlaskForm):
    item = SelectField(_l("Item of the plan"), choices=[], validate_choice=False)
    building = SelectField(_l("Building"), choices=[], validate_choice=False)
    place = StringField(_l("Place (for example: road from the north gate to building 3)"),
                        validators=[Length(max=100)])
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class PartyForm(FlaskForm):
    organisation = SelectField(_l("Department or pipeline company"), choices=[], validate_choice=False)
