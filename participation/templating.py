"""What every template can use: labels, masking, the resident's household, the display mode."""
import qrcode
import qrcode.constants
import qrcode.image.svg
from flask import Flask, current_app, request, url_for
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from participation import formatting
from participation.votes.words import stored_rule_words
from participation.entry.residents import current_household
from participation.labels import label, mask_phone
from participation.permissions import (ASSISTED_ENTRY_HELPERS, COMMUNITY_MANAGERS, DECISION_READERS, HOUSEHOLD_READERS,
                                       PATROL_READERS, STAFF_ROLES, TICKET_READERS)

LARGE_TEXT_COOKIE = "large_text"


def qr_svg(payload: str, *, label: str) -> Markup:
    """``payload`` as an inline SVG QR code (no image request, allowed by the CSP), medium error correction so a
    creased or smudged slip still scans."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(payload)
    qr.make(fit=True)
    # The factory names every path "qr-path"; ids must be unique on a page holding many slips.
    svg = qr.make_image().to_string(encoding="unicode").replace(' id="qr-path"', "")
    return Markup(svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1))


# (endpoint, title, roles that see the link) — the staff navigation, in order.
STAFF_NAV = (
    ("roster.index", _l("Communities"), HOUSEHOLD_READERS),
    ("roster.import_roster", _l("Import roster"), COMMUNITY_MANAGERS),
    ("assisted.search", _l("Act for a household"), ASSISTED_ENTRY_HELPERS),
    ("hotline.index", _l("Complaint desk"), TICKET_READERS),
    ("bulletin.week", _l("Weekly bulletin"), TICKET_READERS),
    ("bulletin.findings", _l("Patrol findings"), PATROL_READERS),
    ("city.overview", _l("City overview"), DECISION_READERS),
    ("admin.index", _l("Administration"), ("admin",)),
    ("accounts.own_password", _l("My password"), STAFF_ROLES),
)


def _staff_nav() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    return [{"url": url_for(endpoint), "title": title}
            for endpoint, title, roles in STAFF_NAV
            if current_user.role in roles and endpoint in current_app.view_functions]


def _context():
    return {
        "label": label,
        "mask_phone": mask_phone,
        "current_household": current_household(),
        "staff_nav": _staff_nav(),
        "large_text": request.cookies.get(LARGE_TEXT_COOKIE) == "1",
        "html_lang": "en" if str(get_locale()) == "en" else "zh-CN",
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.filters["mask_phone"] = mask_phone
    for name in ("percent", "number", "plain_number", "yuan", "beijing"):
        app.jinja_env.filters[name] = getattr(formatting, name)
    app.jinja_env.filters["vote_rule"] = stored_rule_words
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
