"""Forms of the roster pages: the upload, the community record, the households' search."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from participation.labels import OCCUPANCY_LABELS, STATUS_LABELS
from participation.models import COMMUNITY_STATUSES
from participation.roster.files import normalise_phone


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx, .xls or .csv)"),
                     validators=[FileRequired(_l("Choose the file to import."))],
                     render_kw={"accept": ".xlsx,.xls,.csv"})
    district = SelectField(_l("District for new communities"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Check and import"))


def _phone_number(form, field) -> None:
    if field.data and normalise_phone(field.data) is None:
        raise ValidationError(_l("Enter a phone number such as 0431-88888888 or 13812345678."))


def _finite(form, field) -> None:
    if field.data is not None and not field.data.is_finite():   # "NaN" would break the range check's comparison
        raise StopValidation(_l("Enter a number."))


class CommunityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    year_built = IntegerField(_l("Year built"), validators=[Optional(), NumberRange(min=1900, max=2100)],
                              render_kw={"inputmode": "numeric"})
    status = SelectField(_l("Stage"),
                         choices=[SelectChoice(code, STATUS_LABELS[code]) for code in COMMUNITY_STATUSES])
    quality_hotline = StringField(_l("Quality supervision hotline"), validators=[Optional(), Length(max=30),
                                                                                 _phone_number],
                                  render_kw={"type": "tel"})
    supervisor_hotline = StringField(_l("Supervisor complaint line"), validators=[Optional(), Length(max=30),
                                                                                  _phone_number],
                                     render_kw={"type": "tel"})
    community_hotline = StringField(_l("Community hotline"), validators=[Optional(), Length(max=30), _phone_number],
                                    render_kw={"type": "tel"})
    contractor = SelectField(_l("Contractor"), coerce=int)
    supervisor = SelectField(_l("Supervisor"), coerce=int)
    lat = DecimalField(_l("Latitude (WGS-84, e.g. 43.886841)"), places=6, render_kw={"inputmode": "decimal"},
                       validators=[Optional(), _finite, NumberRange(min=-90, max=90)])
    long = DecimalField(_l("Longitude (WGS-84, e.g. 125.324500)"), places=6, render_kw={"inputmode": "decimal"},
                        validators=[Optional(), _finite, NumberRange(min=-180, max=180)])
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and (self.lat.data is None) != (self.long.data is None):   # Optional() skips an empty field
            self.long.errors = [*self.long.errors, _l("Enter both latitude and longitude, or neither.")]
            return False
        return valid

    def set_organisations(self, contractors, supervisors) -> None:
        """Choices from Organisation rows of the right kind; 0 stands for none."""
        none = SelectChoice(0, _l("— none —"))
        self.contractor.choices = [none] + [SelectChoice(org.id, org.name) for org in contractors]
        self.supervisor.choices = [none] + [SelectChoice(org.id, org.name) for org in supervisors]


class RosterSearchForm(FlaskForm):
    """The roster page's search (GET, no CSRF: it changes nothing). A value that is not among the choices is
    dropped by the view, never an error page."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)],
                    description=_l("Building-unit-room such as 3-2-502, a room, a name, or a phone's last 4 digits"))
    place = SelectField(_l("Building or unit"), default="")
    occupancy = SelectField(_l("Occupancy"), default="",
                            choices=[SelectChoice("", _l("All"))] + [SelectChoice(code, text) for code, text
                                                                      in OCCUPANCY_LABELS.items()])
    phone = SelectField(_l("Phone on file"), default="",
                        choices=[SelectChoice("", _l("All")), SelectChoice("yes", _l("With a phone")),
                                 SelectChoice("no", _l("Without a phone"))])
    code = SelectField(_l("Household code"), default="",
                       choices=[SelectChoice("", _l("All")), SelectChoice("yes", _l("Code issued")),
                                SelectChoice("no", _l("No code yet"))])

    def set_places(self, places) -> None:
        """Choices from ``roster_places``: each building, then each of its 单元 by its full name (1号楼2单元)."""
        choices = [SelectChoice("", _l("All buildings"))]
        for building, units in places:
            choices.append(SelectChoice(f"b:{building.id}", building.label))
            choices += [SelectChoice(f"u:{unit.id}", f"{building.label}{unit.label}") for unit in units]
        self.place.choices = choices

    def chosen(self) -> dict:
        """The fields typed correctly, by name; a wrong one is left out (the page shows all rows for it)."""
        self.validate()
        typed = {name: (self[name].data or "").strip() for name in ("q", "place", "occupancy", "phone", "code")
                 if not self[name].errors}
        return {name: value for name, value in typed.items() if value}
