"""What participation asks of the survey engine: the one seam between the two packages (issue 14, point 2).

``participation`` never imports ``surveys``: the survey engine is a package on top of it (its answers hang off
participation's households and catalogue items), and participation must run — the roster, plans, votes, the city
overview — with no survey engine installed. Where participation needs residents' answers it asks through
``SurveyFacts``, the Protocol below; ``surveys.results.plan_needs.SurveyEngineFacts`` implements it, and the
application factory registers it with ``provide(app, facts)``. ``facts()`` returns the registered implementation,
or None when no survey engine is installed: plan inputs then have no residents' figures and the city overview no
survey columns, as before.

Why a module with a Protocol rather than bare functions under ``app.extensions`` keys (``needs_source`` before):
the contract is typed — a type checker and ``tests/test_survey_facts.py`` check that the implementation has every
method with the right shape, where a misspelt key or a changed signature failed only at run time, on the page that
used it; it is written down in one place, this module, instead of a line in ``app.py`` and a docstring at each
reader; and the dependency is visible to tools — participation imports this module only, so an import-linter
contract ("participation never imports surveys", pyproject.toml) holds and says so, where an ``app.extensions``
lookup hides who depends on whom. The registered object itself sits under one ``app.extensions`` key (so each
application has its own, and a test can replace a method), read and written only here.

The city overview's questions are set-based: each takes a SELECT of community ids (or the chosen survey ids) and
answers for all of them in one SQL statement, never one query per community, so 1,339 communities cost what one
does a few times over (``bench/plan_inputs.py`` (b)).
"""
from typing import Protocol, runtime_checkable

from flask import Flask, current_app, has_app_context
from sqlalchemy import Select, Subquery

from participation.models import Community

EXTENSION = "survey_facts"


@runtime_checkable
class SurveyFacts(Protocol):
    """Exactly what participation reads from (or asks of) the survey engine. Nothing here commits."""

    def community_needs(self, community: Community) -> dict | None:
        """What residents said, for the community's plan inputs: {"survey": {"id", "title", "status",
        "confidential"}, "participation": {...}, "items": {catalogue code: {"respondents", "need_count",
        "need_share", "need_share_area", "priority_points", "first_choice", "share_willing", "share_rate", …}},
        "elevator_item": catalogue code or None, "comments": [...]}, or None when it has no needs survey."""

    def needs_surveys(self, communities: Select) -> dict[int, tuple[int, bool]]:
        """{community id: (survey id, closed)} for the communities whose ids ``communities`` selects: each one's
        needs survey (its newest closed survey with a need question, else the newest running one); communities
        without one are left out."""

    def responded(self, survey_ids: list[int]) -> dict[int, int]:
        """{community id: submitted responses to these surveys, less those of vacant households}."""

    def elevator_items(self, survey_ids: list[int]) -> Subquery:
        """A subquery of (``cid``, ``item_id``): the catalogue item the elevator question of each of these surveys
        is about, per community (communities whose survey has no elevator question are absent)."""

    def community_surveys(self, community_id: int) -> list[dict]:
        """Every survey of the community (drafts too, never templates), newest first: {"id", "title" (in the
        page's language), "status" ("draft" | "open" | "closed", as residents meet it: an open survey past its
        closing time is closed), "opens_at", "closes_at" (aware datetime | None), "households" (households not
        marked vacant), "answered" (their submitted responses), "is_needs_survey" (it has a need question),
        "open_past_closing" (still open in the survey engine although its closing time passed: staff should close
        it)}."""

    def household_surveys(self, household_id: int) -> list[dict]:
        """The surveys of the household's community that are open or closed in the last 30 days, open ones first
        (soonest deadline first): {"id", "title", "status" ("open" | "closed"), "closes_at", "state" ("submitted" |
        "draft" | "not_started": this household's response)}, and besides these "receipt" (the submitted
        response's receipt number, else None) and "results_visible" (closed, with results shown to residents).
        An unknown household has none."""

    def answered_households(self, survey_id: int) -> set[int]:
        """The ids of the households with a submitted response to the survey (drafts are not answers): the staff
        to-do's follow-up visits are the households of a building not in it."""

    def seed_demo(self) -> dict:
        """Add the demo's surveys and answers (``flask seed-demo``) and say how many were added now:
        {"surveys": n, "responses": n}. Idempotent; flushes, never commits."""


def provide(app: Flask, facts: SurveyFacts) -> None:
    """Register the survey engine's implementation (the application factory does, once)."""
    app.extensions[EXTENSION] = facts


def facts() -> SurveyFacts | None:
    """The survey engine's facts in this application, or None when none is installed (or outside an app)."""
    return current_app.extensions.get(EXTENSION) if has_app_context() else None
