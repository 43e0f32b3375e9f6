"""The upload form of the field survey's and the works' Excel imports (the roster has its own, with a district)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from participation.plans.forms import override_field


class SheetUploadForm(FlaskForm):
    file = FileField(_l("File (.xlsx, .xls or .csv)"), validators=[FileRequired(_l("Choose the file to import."))],
                     render_kw={"accept": ".xlsx,.xls,.csv"})
    submit = SubmitField(_l("Check and import"))


class WorksUploadForm(SheetUploadForm):
    """The works import also starts works, so it passes the joint-review gate: an administrator may give a reason."""
    override_reason = override_field()
