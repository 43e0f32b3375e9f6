"""What every template can use: labels, masking, the resident's household, the display mode."""
from flask import Flask, request
from flask_babel import get_locale

from participation.labels import label, mask_phone
from participation.residents import current_household

LARGE_TEXT_COOKIE = "large_text"


def _context():
    return {
        "label": label,
        "mask_phone": mask_phone,
        "current_household": current_household(),
        "large_text": request.cookies.get(LARGE_TEXT_COOKIE) == "1",
        "html_lang": "en" if str(get_locale()) == "en" else "zh-CN",
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
