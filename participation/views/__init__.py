"""Blueprints, in the order they are registered. Nothing imports a views module except ``app.py``."""
from participation.views.auth import bp as auth_bp
from participation.views.fieldsurvey import bp as fieldsurvey_bp
from participation.views.main import bp as main_bp

BLUEPRINTS = [main_bp, auth_bp, fieldsurvey_bp]
