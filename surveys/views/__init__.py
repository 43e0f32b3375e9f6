"""Survey blueprints, registered by ``app.py`` after the participation ones."""

from surveys.views.answer import bp as answer_bp  # noqa: E402
from surveys.views.builder import bp as builder_bp  # noqa: E402
from surveys.views.response_import import bp as response_import_bp  # noqa: E402
from surveys.views.results import bp as results_bp  # noqa: E402
from surveys.views.xlsform import bp as xlsform_bp  # noqa: E402

BLUEPRINTS = [response_import_bp, builder_bp, xlsform_bp, results_bp, answer_bp]
