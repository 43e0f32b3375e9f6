"""企业微信 group robots of staff groups: listed, added, changed, tested (issue 16, point 3)."""
from flask import Blueprint

bp = Blueprint("robots", __name__)
