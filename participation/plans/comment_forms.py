"""The comment period's forms: publishing a version, moderating and answering a comment (staff), and a household's
support / objection / comment on one item or the whole plan (residents). They check the shape of what was sent;
the rules are participation.plans.comments'.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from participation.models import COMMENT_MAX
from participation.plans.comments import MAX_ANSWER, MAX_NOTE, MAX_REASON

STANCE_LABELS = {"support": _l("I support it"), "object": _l("I object"), "other": _l("Another opinion")}
STAFF_STANCE_LABELS = {"support": _l("Supports"), "object": _l("Objects"), "other": _l("Other opinion")}
# The moderation list's "show only" choices (participation.plans.comment_queries.FILTERS).
FILTER_LABELS = {"unanswered": _l("Unanswered objections"), "object": _l("Objecting comments"),
                 "support": _l("Supports"), "other": _l("Other opinions"), "hidden": _l("Hidden comments")}
PERIOD_STATE_LABELS = {"upcoming": _l("Not open yet"), "open": _l("Open for comment"), "closed": _l("Closed")}


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("The text is too long (at most %(max)d characters)."))


class PublishForm(FlaskForm):
    opens_on = DateField(_l("Open from"), validators=[DataRequired(message=_l("Enter a date."))])
    closes_on = DateField(_l("Open until (included)"), validators=[DataRequired(message=_l("Enter a date."))])
    note = TextAreaField(_l("Note for residents (optional)"), validators=[Optional(), _too_long(MAX_NOTE)],
                         render_kw={"rows": 3})


class ModerateForm(FlaskForm):
    """One comment's moderation: ``action`` is hide / unhide / answer."""
    comment = HiddenField(validators=[DataRequired()])
    action = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Why hide it"), validators=[Optional(), _too_long(MAX_REASON)])
    answer = TextAreaField(_l("Answer"), validators=[Optional(), _too_long(MAX_ANSWER)], render_kw={"rows": 2})


class CommentForm(FlaskForm):
    """A household's stance on one item (its catalogue code) or on the whole plan (``item`` empty)."""
    item = HiddenField()
    stance = RadioField(_l("Your view"), choices=[SelectChoice(code, text) for code, text in STANCE_LABELS.items()],
                        validators=[DataRequired(message=_l("Choose support, object or another opinion."))])
    body = TextAreaField(_l("Your comment (optional)"), render_kw={"rows": 3, "maxlength": COMMENT_MAX},
                         validators=[Optional(), Length(max=COMMENT_MAX, message=_l(
                             "The comment is too long (at most %(max)d characters)."))])
