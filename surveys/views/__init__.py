"""Survey blueprints, registered by ``app.py`` after the participation ones."""

BLUEPRINTS = []
