"""Entry by phone and SMS code: a household whose phone is on the roster enters without its slip (issue 16, point 6)."""
from flask import Blueprint

bp = Blueprint("phone_entry", __name__)
