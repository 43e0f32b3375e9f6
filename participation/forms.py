"""WTForms classes. Forms validate and never save; views pass their data to an operation."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A POST-only button (switches, revocations): carries the CSRF token and nothing else."""


def show_refusal(form, errors: dict[str, str]) -> None:
    """An operation's refusal (its ``errors``: a field name, or "" for the whole, to a message) shown beside the
    fields it names and above the form for the rest."""
    for name, message in errors.items():
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)
