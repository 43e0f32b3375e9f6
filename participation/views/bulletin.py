"""(being built) — see the module's blueprint below."""
from flask import Blueprint

bp = Blueprint("bulletin", __name__)
