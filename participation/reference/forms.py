"""Admin forms: locality rules, catalogue items, the holiday table, accounts, organisations, the audit filter.

Numbers, years and codes arrive as text on purpose: the operations check them per kind and answer with one clear
message in the user's language, rather than a generic "not a valid number".
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import DateInput

from participation.jointreview.forms import speciality_choices
from participation.labels import (CHANNEL_LABELS, ORGANISATION_KIND_LABELS, QUANTITY_UNIT_LABELS, ROLE_LABELS,
                                  RULE_KIND_LABELS, RULE_UNIT_LABELS)
from participation.models.complaints import HOLIDAY_KINDS
from participation.reference.holidays import KIND_LABELS, MAX_NAME


def _choices(labels: dict, blank=None) -> list[SelectChoice]:
    options = [SelectChoice(code, text) for code, text in labels.items()]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


class RuleForm(FlaskForm):
    kind = SelectField(_l("Kind of rule"), choices=_choices(RULE_KIND_LABELS))
    key = StringField(_l("Key"), validators=[Length(max=40)])
    text_value = StringField(_l("Text"), validators=[Length(max=200)])
    number_value = StringField(_l("Number"), validators=[Length(max=30)], render_kw={"inputmode": "decimal"})
    unit = SelectField(_l("Unit"), choices=_choices(RULE_UNIT_LABELS, blank=_l("(as the kind requires)")))
    valid_from = StringField(_l("First year"), validators=[Length(max=4)], render_kw={"inputmode": "numeric"})
    valid_to = StringField(_l("Last year (empty: until changed)"), validators=[Length(max=4)],
                           render_kw={"inputmode": "numeric"})
    source = TextAreaField(_l("Source"), validators=[Length(max=2000)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))


class ItemForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Length(max=10)], render_kw={"autocapitalize": "characters"})
    name = StringField(_l("Name"), validators=[Length(max=100)])
    category = SelectField(_l("Category"), choices=[])
    group = StringField(_l("Group"), validators=[Length(max=30)])
    quantity_unit = SelectField(_l("Quantity counted"), choices=_choices(QUANTITY_UNIT_LABELS))
    unit_cost = StringField(_l("Reference unit cost (yuan)"), validators=[Length(max=20)],
                            render_kw={"inputmode": "decimal"})
    owner_matter = SelectField(_l("Owner vote matter (Civil Code Art. 278)"),
                               choices=[SelectChoice("", _l("None"))] + [SelectChoice(str(n)) for n in range(1, 10)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))


class DayForm(FlaskForm):
    """Add a day or change the one there; the operation checks the date, the kind and the name."""
    day = StringField(_l("Date"), widget=DateInput())
    kind = SelectField(_l("Kind of day"), choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in HOLIDAY_KINDS],
                       validate_choice=False)
    name = StringField(_l("Name (optional)"), render_kw={"maxlength": MAX_NAME})
    year = HiddenField()


class YearForm(FlaskForm):
    """A button acting on one year (seed, recompute) or one day (remove)."""
    year = HiddenField()
    day = HiddenField()


class ScopeFields:
    """Scope fields shared by the create and edit forms; choices are filled per admin by the view."""

    role = SelectField(_l("Role"), choices=_choices(ROLE_LABELS))
    district = SelectField(_l("District"), choices=[])
    communities = SelectMultipleField(_l("Communities"), choices=[], coerce=int)
    buildings = SelectMultipleField(_l("Buildings"), choices=[], coerce=int)
    organisation = SelectField(_l("Organisation"), choices=[])
    show_buildings = SubmitField(_l("Show the buildings of the chosen communities"))


class UserCreateForm(ScopeFields, FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    display_name = StringField(_l("Name shown to others"), validators=[Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create the account"))


class UserEditForm(ScopeFields, FlaskForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Save"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set the password"))


class OwnPasswordForm(PasswordResetForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Change my password"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=_choices(ORGANISATION_KIND_LABELS))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)], render_kw={"inputmode": "tel"})
    speciality = SelectField(_l("Speciality (joint review)"), choices=speciality_choices(), default="",
                             validate_choice=False)
    submit = SubmitField(_l("Save"))


class AuditFilterForm(FlaskForm):
    """Read by GET, so it carries no CSRF token and bookmarks keep the filters."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who (username or name)"), validators=[Optional(), Length(max=40)])
    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)])
    community = StringField(_l("Community code"), validators=[Optional(), Length(max=30)])
    channel = SelectField(_l("Channel"), choices=_choices(CHANNEL_LABELS, blank=_l("Any")),
                          default="", validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
