"""Survey blueprints, registered by ``app.py`` after the participation ones.

The builder's one blueprint (surveys.builder.web) carries the routes of two view modules, both imported here."""
from surveys.builder.web import bp as builder_bp
from surveys.views import builder, builder_questions  # noqa: F401  (their routes are builder_bp's)
from surveys.views.answer import bp as answer_bp
from surveys.views.api import bp as api_bp
from surveys.views.resident_results import bp as resident_results_bp
from surveys.views.response_import import bp as response_import_bp
from surveys.views.results import bp as results_bp
from surveys.views.xlsform import bp as xlsform_bp

BLUEPRINTS = [response_import_bp, builder_bp, xlsform_bp, results_bp, answer_bp, resident_results_bp, api_bp]
