"""Survey messages the clock or an organiser sends (DESIGN §10): a scheduled opening told when it comes, and
reminders to the households that have not answered — the follow-up list's households (``surveys.messages
.unanswered``), at most ``SURVEY_REMINDERS_MAX`` (default 2) per household and survey, whoever sent them.

Automatic reminders go out when 3 days are left (reminder 1) and when 1 day is left (reminder 2): a household gets
each one it is still silent for, once (a survey opened 2 days before closing sends only the second). An organiser's
button "提醒未填写的住户" sends one now, counted against the same maximum, and not twice to a household within a
day. Dedupe keys ``survey.reminder:<survey>:<household>:<n>`` (``:m<n>`` for the button's, n the household's count),
so re-running the job, or two workers running it at once, writes nothing new. Flush, never commit: the job's task or
the request commits.

    tell_due_openings(now=None) -> int        # surveys whose opening time came (recently) and were not told yet
    send_reminders(now=None) -> int           # the 3-day and 1-day reminders
    remind_now(actor, survey, now=None) -> int      # the organiser's button (audited); SurveyStateError if not open
    init_app(app)                             # registers both with the task queue
"""
from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from participation.audit import record
from participation.extensions import db
from participation.models import Notification, User
from participation.models.types import utcnow
from participation.reach.queue import every
from surveys import messages
from surveys.models import Survey, SurveyStateError

WINDOWS = (timedelta(days=3), timedelta(days=1))   # time left when an automatic reminder is due, earliest first
MANUAL_GAP = timedelta(days=1)                      # the button does not remind a household twice in a day
AUTOMATIC_GAP = timedelta(hours=12)                 # nor does the job just after the button (the job runs daily)
OPENING_GRACE = timedelta(days=2)                   # a scheduled opening older than this is not announced late


def reminders_max() -> int:
    return int(current_app.config.get("SURVEY_REMINDERS_MAX", 2))


def _accepting(now: datetime):
    return select(Survey).where(Survey.status == "open", Survey.is_template.is_(False),
                                Survey.community_id.is_not(None), Survey.opens_at <= now,
                                (Survey.closes_at.is_(None)) | (Survey.closes_at > now)).order_by(Survey.id)


def tell_due_openings(now: datetime | None = None) -> int:
    """Surveys opened ahead of their opening time are told when it comes (within ``OPENING_GRACE``, so an old
    survey from before messages existed is not announced out of the blue)."""
    now = now or utcnow()
    written = 0
    for survey in db.session.scalars(_accepting(now).where(Survey.opens_at > now - OPENING_GRACE)).all():
        told = db.session.scalar(select(Notification.id).where(
            Notification.community_id == survey.community_id, Notification.kind == "survey.opened",
            Notification.dedupe_key.startswith(f"survey.opened:{survey.id}:", autoescape=True)).limit(1))
        if told is None:
            written += messages.opened(survey, now)
    return written


def reminded(survey: Survey) -> dict[int, tuple[int, datetime]]:
    """{household id: (reminders written, the latest's time)} for the survey."""
    rows = db.session.execute(
        select(Notification.household_id, func.count(Notification.id), func.max(Notification.created_at))
        .where(Notification.community_id == survey.community_id, Notification.kind == "survey.reminder",
               Notification.dedupe_key.startswith(f"survey.reminder:{survey.id}:", autoescape=True))
        .group_by(Notification.household_id))
    return {household_id: (count, last) for household_id, count, last in rows}


def _silent(survey: Survey, limit: int, *, since: datetime | None = None) -> dict[int, list]:
    """The silent households below ``limit`` reminders (and, with ``since``, not reminded after it), grouped by how
    many they have had."""
    before = reminded(survey)
    by_count = defaultdict(list)
    for household in messages.unanswered(survey):
        count, last = before.get(household.id, (0, None))
        if count < limit and (since is None or last is None or last < since):
            by_count[count].append(household)
    return by_count


def window(survey: Survey, now: datetime) -> int:
    """The automatic reminder the survey is due for now: 1 when 3 days or less are left, 2 when 1 day or less is,
    0 before (or without a closing time)."""
    if survey.closes_at is None:
        return 0
    return sum(1 for left in WINDOWS if survey.closes_at - now <= left)


def send_reminders(now: datetime | None = None) -> int:
    """The automatic reminders: reminder ``n`` of a window is written once per household (key suffix ``:n``), only
    while the household has had fewer than the maximum, however many the organisers sent, and not within 12 hours
    of the button's."""
    now = now or utcnow()
    written = 0
    limit = reminders_max()
    for survey in db.session.scalars(_accepting(now).where(Survey.closes_at <= now + WINDOWS[0])).all():
        n = window(survey, now)
        if n:
            silent = _silent(survey, limit, since=now - AUTOMATIC_GAP)
            households = [h for group in silent.values() for h in group]
            written += messages.remind(households, survey, f":{n}")
    return written


def remind_now(actor: User, survey: Survey, now: datetime | None = None) -> int:
    """The organiser's "提醒未填写的住户": one reminder now to each silent household that may still have one and
    had none in the last day (key suffix ``:m<n>``, n its number)."""
    now = now or utcnow()
    if survey.community_id is None or not survey.is_accepting(now):
        raise SurveyStateError(_("Only an open survey sends reminders."))
    groups = _silent(survey, reminders_max(), since=now - MANUAL_GAP)
    written = sum(messages.remind(households, survey, f":m{count + 1}") for count, households in groups.items())
    record(actor, "survey.remind", survey, community=survey.community, households=written)
    return written


def init_app(app) -> None:
    """Openings every 10 minutes; reminders every day at 10:00 Beijing (02:00 UTC), inside SMS hours."""
    every(app, "surveys.openings", tell_due_openings, minute="*/10")
    every(app, "surveys.reminders", send_reminders, minute="0", hour="2")
