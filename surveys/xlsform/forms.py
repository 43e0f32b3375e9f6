"""The XLSForm upload form. It checks that a file came and never reads it; ``surveys.xlsform.imports`` does."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class XLSFormUploadForm(FlaskForm):
    file = FileField(_l("XLSForm file (.xlsx, .xls, .csv or .md)"),
                     validators=[FileRequired(_l("Choose the file to import."))],
                     render_kw={"accept": ".xlsx,.xls,.xlsm,.csv,.md"})
    submit = SubmitField(_l("Check and import"))
