"""The form of a works photo upload; it checks the shape of what was sent, the rules are
``participation.plans.work_photos``'."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.fields import DateField
from wtforms.validators import Optional

from participation.models.plans import MAX_CAPTION


class WorkPhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP, up to 10 MB)"), render_kw={"accept": "image/*"})
    caption = StringField(_l("Caption (what the photo shows)"), validators=[Optional()],
                          render_kw={"maxlength": MAX_CAPTION})
    taken_on = DateField(_l("Taken on"), validators=[Optional()])
