"""The "admin" blueprint (/admin/...), shared by two views modules that may not import each other: locality rules
and the catalogue (``reference.views``) and the audit log (``accounts.audit_views``). ``participation.blueprints``
imports both before it registers the blueprint, so every route is on it by then."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
