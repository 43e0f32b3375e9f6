"""Application factory: configuration, extensions, blueprints, CLI and error pages. Nothing else."""
from pathlib import Path

from flask import Flask

from participation import assets, cli, errors, handlers, logs, security, survey_facts, templating
from participation.blueprints import BLUEPRINTS
from participation.config import check_keys, load_config
from participation.extensions import babel, compress, csrf, db, limiter, login_manager, migrate, select_locale
from participation.reach import jobs as reach_jobs, queue as reach_queue
from surveys import cli as survey_cli, jobs as survey_jobs
from surveys import models as survey_models  # noqa: F401  (the survey tables, for migrations)
from surveys.results.plan_needs import SurveyEngineFacts
from surveys.views import BLUEPRINTS as SURVEY_BLUEPRINTS


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="templates", static_folder="static")
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    logs.init_app(app)   # first: the request id is set before any other hook can log

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    assets.init_app(app)   # after Flask-Compress, so its hook sees static files already read into memory
    babel.init_app(app, locale_selector=select_locale)
    reach_queue.init_app(app)   # the task queue; the outbox hands new deliveries to it after each commit
    check_keys(app, config or {})   # after Babel, so a refusal reads in the default language

    for blueprint in [*BLUEPRINTS, *SURVEY_BLUEPRINTS]:
        app.register_blueprint(blueprint)
    handlers.init_app(app)   # after the blueprints: every view then commits once, after it returned
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    survey_cli.init_app(app)
    reach_jobs.init_app(app)    # periodic jobs on the worker, instead of cron lines
    survey_jobs.init_app(app)
    survey_facts.provide(app, SurveyEngineFacts())   # what participation reads of residents' answers
    return app
