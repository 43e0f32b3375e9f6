"""What a survey tells residents, and whom (DESIGN §10): "a survey is open" to every household of its community,
and reminders to the households that have not answered. Everything goes through ``participation.reach.outbox``,
in the transaction of the event (flush, never commit); the many-household pass is
``participation.reach.recipients.tell_households`` (households loaded with their place, one look-up of those told).

    opened(survey, now=None) -> int            # 0 while a scheduled opening is still ahead (surveys.reminders tells
                                               # it when it comes); once per household and survey
    remind(households, survey, suffix) -> int  # a reminder (dedupe key survey.reminder:<s>:<h><suffix>)
    unanswered(survey) -> list[Household]      # the follow-up list's households: not vacant, nothing submitted

Any household of the survey's community may answer it (``surveys.answering.operations.save_response``): a survey
has no building limit, so the community is its audience.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from participation.models import Building, Household
from participation.models.types import utcnow
from participation.reach.recipients import households_with_places, tell_households
from participation.reach.words import closing_day, default_language, short_title
from surveys.models import Response, Survey


def survey_link(survey: Survey) -> str:
    return f"/s/{survey.id}"          # surveys.views.answer.show: the household's own survey page


def params(survey: Survey) -> dict:
    return {"community": survey.community.name, "title": short_title(survey.label("zh")),
            "deadline": closing_day(survey.closes_at)}


def audience(survey: Survey) -> list[Household]:
    return households_with_places(Building.community_id == survey.community_id)


def unanswered(survey: Survey) -> list[Household]:
    """The households the follow-up lists show (``participation.dashboards.followup``, /surveys/<id>/follow-up):
    of the survey's community, not vacant, without a submitted response (a draft is not an answer)."""
    submitted = select(Response.household_id).where(Response.survey_id == survey.id, Response.status == "submitted")
    return households_with_places((Building.community_id == survey.community_id)
                                  & (Household.occupancy != "vacant") & Household.id.not_in(submitted))


def opened(survey: Survey, now: datetime | None = None) -> int:
    """Tell every household of the community that the survey is open — once it is: a survey opened with a later
    opening time is told when that time comes (``surveys.reminders.tell_due_openings``)."""
    if survey.community_id is None or not survey.is_accepting(now or utcnow()):
        return 0
    with default_language():
        values = params(survey)
        text = _("A survey of %(community)s is open: \"%(title)s\", until %(deadline)s. Each household answers once "
                 "and may change its answer until then: open it on your household page.",
                 community=values["community"], title=survey.label("zh"), deadline=values["deadline"])
    return tell_households(audience(survey), "survey.opened", text, values, link=survey_link(survey),
                           prefix=f"survey.opened:{survey.id}:")


def remind(households: list[Household], survey: Survey, suffix: str) -> int:
    """A reminder of the survey to each of ``households`` not yet sent the one keyed
    ``survey.reminder:<survey>:<household><suffix>`` (``surveys.reminders`` chooses whom, and the suffix)."""
    with default_language():
        values = params(survey)
        text = _("Reminder: your household has not answered the survey \"%(title)s\" of %(community)s yet. It "
                 "closes on %(deadline)s: open it on your household page, or ask the community office for help.",
                 title=survey.label("zh"), community=values["community"], deadline=values["deadline"])
    return tell_households(households, "survey.reminder", text, values, link=survey_link(survey),
                           prefix=f"survey.reminder:{survey.id}:", suffix=suffix)
