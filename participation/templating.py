"""What every template can use: labels, masking, the resident's household, the display mode."""
import qrcode
import qrcode.constants
import qrcode.image.svg
from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from participation import formatting
from participation.labels import label, mask_phone
from participation.entry.residents import current_household

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
    ("roster.index", _l("Communities"), ("admin", "organiser", "owner_rep", "grid", "hotline")),
    ("roster.import_roster", _l("Import roster"), ("admin", "organiser")),
    ("assisted.search", _l("Act for a household"), ("organiser", "grid", "hotline")),
    ("hotline.index", _l("Complaint desk"), ("admin", "organiser", "hotline", "agency")),
    ("bulletin.week", _l("Weekly bulletin"), ("admin", "organiser", "hotline", "agency")),
    ("bulletin.findings", _l("Patrol findings"), ("admin", "organiser", "hotline", "agency", "owner_rep")),
    ("city.overview", _l("City overview"), ("admin", "organiser", "owner_rep")),
    ("admin.index", _l("Administration"), ("admin",)),
    ("accounts.own_password", _l("My password"), ("admin", "organiser", "owner_rep", "grid", "hotline", "agency")),
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
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
