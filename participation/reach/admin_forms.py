"""The SMS settings form (``/admin/messages/settings``): one field per setting and one template code per SMS kind.

Values arrive as text; ``admin.save_settings`` checks each against what the providers accept and answers with one
clear message per field. The provider is a required choice — "as the environment says" is one of its options — so
a form posted without it (a stray request) is refused rather than saved as "everything empty".
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from participation.reach.admin import FROM_ENVIRONMENT, PROVIDER_LABELS, template_field
from participation.reach.kinds import SMS_KINDS


class SmsSettingsForm(FlaskForm):
    provider = SelectField(
        _l("SMS provider"), validators=[InputRequired(message=_l("Choose the SMS provider."))],
        choices=[SelectChoice(FROM_ENVIRONMENT, _l("As the environment says (SMS_BACKEND)"))]
        + [SelectChoice(code, label) for code, label in PROVIDER_LABELS.items()])
    sign_name = StringField(_l("Sign name (签名)"), validators=[Length(max=40)])
    app_id = StringField(_l("Tencent Cloud SmsSdkAppId"), validators=[Length(max=40)],
                         render_kw={"inputmode": "numeric"})
    region = StringField(_l("Region"), validators=[Length(max=30)], render_kw={"autocapitalize": "none"})
    daily_cap = StringField(_l("SMS per household per day"), validators=[Length(max=5)],
                            render_kw={"inputmode": "numeric"})
    submit = SubmitField(_l("Save the settings"))

    def template_fields(self):
        """(kind, its field) in the order of ``SMS_KINDS``."""
        return [(kind, self[template_field(kind)]) for kind in SMS_KINDS]

    def values(self) -> dict:
        """What was typed, stripped; the operation checks it."""
        typed = {name: (self[name].data or "").strip() for name in ("provider", "sign_name", "app_id", "region",
                                                                    "daily_cap")}
        typed["templates"] = {kind: (field.data or "").strip() for kind, field in self.template_fields()}
        return typed


for _kind in SMS_KINDS:
    setattr(SmsSettingsForm, template_field(_kind),
            StringField(_kind, validators=[Length(max=60)], render_kw={"autocapitalize": "none"}))
