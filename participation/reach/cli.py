"""``flask --app app worker [--burst] [--workers N]``: the task queue's worker (DESIGN §8).

Without ``--burst`` it runs Huey's consumer — worker threads taking tasks as they come, and the scheduler running
the periodic jobs (the sweep every minute, escalation, closing due surveys) — until SIGTERM (running tasks finish
first) or SIGINT. With ``--burst`` it runs what is waiting, delivers everything due now, prints the counts and
exits: for tests, drills and a cron line on a host that runs no resident worker.
"""
import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _

from participation.reach.delivery import sweep, worker_name
from participation.reach.queue import TASKS, queue, run_waiting

GRACEFUL_SECONDS = 60


def register(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Run what is waiting and deliver what is due now, then exit.")
    @click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
                  help="Worker threads taking tasks (not with --burst).")
    def worker_command(burst: bool, workers: int) -> None:
        """Run the task queue's worker: deliveries, the sweep and the periodic jobs."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            if burst:
                counts = run_waiting()
                counts.add(sweep(worker=f"{worker_name()}:burst"))
                click.echo(_("Delivered: %(sent)d sent, %(retry)d to retry, %(failed)d failed, %(skipped)d "
                              "skipped, %(deferred)d deferred.", **counts.as_dict()))
                return
            click.echo(_("The worker runs with %(count)d threads; stop it with Ctrl-C.", count=workers))
        # A sweep at once, not at the next full minute: what waited while no worker ran goes out now.
        current_app.extensions[TASKS]["reach.sweep"]()
        # SIGTERM (systemd, make run's trap) lets running tasks record their outcome, for a minute at most: a
        # message sent but not yet marked would be sent again after its lease. SIGINT stops at once.
        consumer = queue().create_consumer(workers=workers, worker_type="thread", periodic=True,
                                           check_worker_health=True, graceful_signal="TERM",
                                           shutdown_timeout=GRACEFUL_SECONDS)
        consumer.run()
