"""The SMS settings a sender needs: the admin's row (``/admin/messages/settings``) over the environment.

An admin changes the provider, sign name and template codes without a redeploy, so a value set in the row wins;
an empty one falls back to the environment, where a fresh deployment (and ``make run``: ``SMS_BACKEND=file``)
sets them. The providers' secret keys are read from the environment only: a database dump or an admin's screen
must never hold them.
"""
import json
import logging

from flask import current_app
from sqlalchemy import select

from participation.extensions import db
from participation.models import SmsSettings
from participation.reach.channels import SmsConfig

logger = logging.getLogger(__name__)


def settings_row() -> SmsSettings:
    """The one row of SMS settings, made (empty: everything from the environment) when there is none; no commit."""
    row = current_row()
    if row is None:
        row = SmsSettings(templates={})
        db.session.add(row)
        db.session.flush()
    return row


def current_row() -> SmsSettings | None:
    return db.session.scalar(select(SmsSettings).order_by(SmsSettings.id).limit(1))


def environment_templates() -> dict:
    """``SMS_TEMPLATES`` (a JSON object kind → template code); a malformed value is logged and read as none, so a
    typo leaves SMS in-app only (skipped ``no_template``) rather than stopping the worker."""
    value = current_app.config.get("SMS_TEMPLATES") or {}
    if isinstance(value, dict):
        return dict(value)
    try:
        parsed = json.loads(value)
    except ValueError:
        logger.error("SMS_TEMPLATES is not JSON; no template codes are read from the environment")
        return {}
    if not isinstance(parsed, dict):
        logger.error("SMS_TEMPLATES is not a JSON object; no template codes are read from the environment")
        return {}
    return {str(kind): str(code) for kind, code in parsed.items() if code}


def sms_config() -> SmsConfig:
    """The settings in force now, as ``participation.reach.channels.sms.sender`` takes them."""
    config = current_app.config
    row = current_row()
    templates = environment_templates()
    if row is not None:
        templates.update({kind: code for kind, code in (row.templates or {}).items() if code})

    def chosen(field: str, key: str) -> str:
        value = getattr(row, field, None) if row is not None else None
        return value or config.get(key) or ""

    daily_cap = row.daily_cap if row is not None and row.daily_cap is not None else config.get("SMS_DAILY_CAP", 5)
    return SmsConfig(
        provider=chosen("provider", "SMS_BACKEND") or "off",
        sign_name=chosen("sign_name", "SMS_SIGN_NAME"),
        app_id=chosen("app_id", "SMS_APP_ID"),
        region=chosen("region", "SMS_REGION"),
        templates=templates,
        daily_cap=int(daily_cap),
        file_path=config.get("SMS_FILE") or "",
        aliyun_access_key_id=config.get("ALIYUN_ACCESS_KEY_ID") or "",
        aliyun_access_key_secret=config.get("ALIYUN_ACCESS_KEY_SECRET") or "",
        aliyun_endpoint=config.get("ALIYUN_SMS_ENDPOINT") or "",
        tencent_secret_id=config.get("TENCENT_SECRET_ID") or "",
        tencent_secret_key=config.get("TENCENT_SECRET_KEY") or "",
        tencent_endpoint=config.get("TENCENT_SMS_ENDPOINT") or "",
        timeout_seconds=float(config.get("SMS_TIMEOUT") or 10),
    )
