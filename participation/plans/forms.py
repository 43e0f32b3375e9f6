"""The plan pages' forms: the budget, the edit of a version (one row per item), one item's works. They check the
shape of what was typed; the rules (amounts, reasons, dates) are the operations' (participation.plans.operations).
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField, FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from participation.labels import FUNDING_LABELS, WORK_STATUS_LABELS
from participation.models import FUNDING_LINES, WORK_STATUSES
from participation.models.lifecycle import REASON_MAX
from participation.plans.operations import MAX_TEXT

TEXT = Length(max=MAX_TEXT, message=_l("The text is too long (at most %(max)d characters)."))
AMOUNT = {"inputmode": "decimal", "autocomplete": "off"}


def _money(label):
    return StringField(label, validators=[Length(max=30)], render_kw=AMOUNT)


def override_field():
    """An administrator's written reason to let the action through a gate whose conditions are not met (the pages
    render it only for administrators; participation.lifecycle.overrides refuses it from anyone else)."""
    return TextAreaField(_l("Reason to proceed anyway (administrators only)"),
                         validators=[Optional(), Length(max=REASON_MAX, message=_l(
                             "The text is too long (at most %(max)d characters)."))], render_kw={"rows": 2})


class BudgetForm(FlaskForm):
    plan_year = StringField(_l("Plan year"), validators=[Length(max=10)], render_kw={"inputmode": "numeric"})
    envelope = _money(_l("Budget envelope (yuan)"))
    raises_maintenance_fund = BooleanField(_l("The plan raises the maintenance fund (筹集维修资金)"))
    note = TextAreaField(_l("Note"), validators=[TEXT], render_kw={"rows": 3})
    override_reason = override_field()

    def money_fields(self):
        return [self[name] for name in FUNDING_LINES]


for _line in FUNDING_LINES:
    setattr(BudgetForm, _line, _money(FUNDING_LABELS[_line]))


class ItemRowForm(Form):
    """One item of the version being edited (no CSRF of its own: the page's form carries it)."""
    code = HiddenField()
    included = BooleanField(_l("In the plan"))
    quantity = StringField(_l("Quantity"), validators=[Length(max=30)], render_kw=AMOUNT)
    unit_cost = StringField(_l("Unit cost (yuan)"), validators=[Length(max=30)], render_kw=AMOUNT)
    reason = StringField(_l("Reason for the change"), validators=[TEXT])


class PlanEditForm(FlaskForm):
    items = FieldList(FormField(ItemRowForm))
    measures = TextAreaField(_l("Policy measures (cost-sharing rule …)"), validators=[TEXT], render_kw={"rows": 4})
    reason = TextAreaField(_l("Why this version"), validators=[TEXT], render_kw={"rows": 2})

    def changes(self) -> dict:
        """{item code: {"included", "quantity", "unit_cost", "reason"}} as typed, for ``edit_version``."""
        return {row.code.data: {"included": row.included.data, "quantity": row.quantity.data,
                                "unit_cost": row.unit_cost.data, "reason": row.reason.data}
                for row in self.items if row.code.data}


class AdoptForm(FlaskForm):
    """Adopt a version: a button, and an administrator's reason when a gate is not met."""
    override_reason = override_field()


class WorkForm(FlaskForm):
    item = HiddenField()
    status = SelectField(_l("Status"), choices=[SelectChoice(status, WORK_STATUS_LABELS[status])
                                                for status in WORK_STATUSES])
    started_on = DateField(_l("Started on"), validators=[Optional()])
    finished_on = DateField(_l("Finished on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[TEXT])
    override_reason = override_field()
