"""WTForms classes. Forms validate and never save; views pass their data to an operation."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A POST-only button (switches, revocations): carries the CSRF token and nothing else."""

