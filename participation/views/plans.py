"""(being built) — see the module's blueprint below."""
from flask import Blueprint

bp = Blueprint("plans", __name__)
