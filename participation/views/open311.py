"""(being built) — see the module's blueprint below."""
from flask import Blueprint

bp = Blueprint("open311", __name__)
