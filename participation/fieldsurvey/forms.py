"""The per-item form of the field survey. Validates only; the view hands the data to ``record_finding``."""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from participation.fieldsurvey.operations import MAX_NOTE, MAX_QUANTITY
from participation.labels import CONDITION_LABELS
from participation.models import CONDITIONS

# What a quantity is counted in, per catalogue quantity unit: shown beside the quantity box.
QUANTITY_MEASURES = {
    "per_m2_area": _l("m²"), "per_household": _l("households"), "per_unit": _l("units (stairwells)"),
    "per_building": _l("buildings"), "lump_sum": _l("lump sum (1 = the whole community)"),
}

# Full-width digits and separators as a Chinese phone keyboard may type them.
_WIDE = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def parse_quantity(text: str | None) -> Decimal | None:
    """A quantity from what a person typed ("1,234.5", "１２"); None when empty. Raises ValueError if not one."""
    cleaned = (text or "").translate(_WIDE).replace(",", "").replace(" ", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(cleaned) from error
    if not value.is_finite():
        raise ValueError(cleaned)
    return value


class FieldFindingForm(FlaskForm):
    condition = RadioField(_l("Condition"), choices=[SelectChoice(c, CONDITION_LABELS[c]) for c in CONDITIONS],
                           invalid_choice_message=_l("Choose the condition of the item."))
    quantity = StringField(_l("Quantity"), validators=[Length(max=30)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=_l(
        "The note is too long (at most %(max)d characters)."))], render_kw={"rows": 3})
    photo = FileField(_l("Photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_photo = BooleanField(_l("Remove the current photo"))
    submit = SubmitField(_l("Save"))

    def validate_quantity(self, field) -> None:
        try:
            value = parse_quantity(field.data)
        except ValueError as error:
            raise ValidationError(_l("The quantity must be a number, for example 12 or 350.5.")) from error
        if value is None:
            return
        if value < 0 or value > MAX_QUANTITY:
            raise ValidationError(_l("The quantity must be a number of at least 0."))
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_l("The quantity may have at most 2 decimals."))

    @property
    def quantity_value(self) -> Decimal | None:
        return parse_quantity(self.quantity.data)

    @property
    def photo_file(self):
        """The uploaded file, or None when the photo box was left empty."""
        upload = self.photo.data
        return upload if upload is not None and getattr(upload, "filename", "") else None
