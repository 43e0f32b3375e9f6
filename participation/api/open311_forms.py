"""The form that places an Open311 report of the 待定位 intake in a community (and building)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class PlaceReportForm(FlaskForm):
    community = StringField(_l("Community (code or name)"), validators=[DataRequired(), Length(max=100)])
    building = StringField(_l("Building"), validators=[Optional(), Length(max=20)])
    submit = SubmitField(_l("Place it and file the ticket"))
