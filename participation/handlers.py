"""The request skeleton every page shares (DESIGN §7, STYLE.md rule 1), after Indico's ``RH.process``.

A handler loads (404), authorizes (403, or 404 where existence is private), validates its form, calls one
operation and redirects. It never commits: the request commits once, after its view returned, and rolls back when
the view raised (an abort, a bug, a failed commit). Operations flush and never commit; when one says no it raises
``Refused`` (or a feature's subclass) naming the fields at fault, and ``refuse_onto`` undoes what it flushed and
shows the messages on the form the page re-renders.

Work that must outlive a refusal (a guess counted against a throttle, an audit row of the refusal itself) is
written after ``refuse_onto`` rolled back, and so commits with the request.
"""
import functools
import logging

from flask import Flask

from participation.extensions import db

logger = logging.getLogger(__name__)

# Endpoints that never touch the database, so they need no transaction of their own.
_NO_TRANSACTION = {"static"}


class Refused(ValueError):
    """An operation refused what it was asked. ``errors`` maps a field name (or "" for the whole request) to the
    message a person reads there, in their language."""

    def __init__(self, errors: dict[str, str] | str, *, field: str = ""):
        if not isinstance(errors, dict):
            errors = {field: errors}
        super().__init__(" ".join(str(message) for message in errors.values()))
        self.errors = dict(errors)

    @property
    def message(self) -> str:
        """Every message in one line, for a flash or a JSON error."""
        return str(self)


def show_errors(form, errors: dict[str, str]) -> None:
    """Messages beside the fields they name; the rest (and "" for the whole) above the form."""
    for name, message in errors.items():
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def refuse_onto(form, refusal: Refused | dict[str, str]) -> None:
    """Undo whatever the refused operation flushed, then show its messages on ``form``.

    The view goes on to re-render the form; the request still commits what is written after this call."""
    db.session.rollback()
    show_errors(form, refusal.errors if isinstance(refusal, Refused) else refusal)


def withdraw(refusal: Exception) -> Exception:
    """Undo whatever the refused operation flushed and hand the refusal back, for pages that show it their own way
    (a flash, the rows of a refused file, a JSON error) rather than on a form's fields."""
    db.session.rollback()
    return refusal


def committing(view):
    """``view`` in one transaction: committed when it returns, rolled back when it raises."""

    @functools.wraps(view)
    def handle(*args, **kwargs):
        try:
            response = view(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            logger.exception("request.commit_failed")
            raise
        return response

    handle.__wrapped_by_handlers__ = True
    return handle


def init_app(app: Flask) -> None:
    """Wrap every view registered so far (call after the blueprints); each request then commits exactly once."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint in _NO_TRANSACTION or getattr(view, "__wrapped_by_handlers__", False):
            continue
        app.view_functions[endpoint] = committing(view)
