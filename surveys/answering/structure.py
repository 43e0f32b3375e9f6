"""A survey's structure (pages, questions, choices, catalogue codes) as frozen plain objects, kept per worker process.

Checking one submission walks every question and its choices. Loading that as ORM objects costs 10–20 ms a request
(about 75 questions and 220 choices in the needs survey) — more than everything else a submission does. Only a draft
survey can change (every builder operation calls ``Survey.require_editable``), so the structure of an open or closed
survey is read once per process and reused; drafts (the builder's preview) are always read from the session.

The shapes answer the attributes ``surveys.answering.checks`` and ``surveys.answering.operations`` read from ``Question``, ``Choice``
and ``Section`` (same names, same ``text()``), so both accept either. Nothing here is written through: the labels
and settings are read-only mappings.
"""
from dataclasses import dataclass
from types import MappingProxyType

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from participation.extensions import db
from surveys.models import Question, Section, Survey

CACHE_KEY = "survey_structures"
CACHE_SIZE = 64   # surveys per worker; a district runs a handful at a time


def _frozen(mapping) -> MappingProxyType:
    return MappingProxyType(dict(mapping or {}))


def _text(mapping, lang: str, fallback: str = "") -> str:
    return mapping.get(lang) or mapping.get("zh") or next(iter(mapping.values()), fallback)


@dataclass(frozen=True, eq=False)
class ChoiceShape:
    id: int
    name: str
    position: int
    label: MappingProxyType

    def text(self, lang: str = "zh") -> str:
        return _text(self.label, lang, self.name)


@dataclass(frozen=True, eq=False)
class SectionShape:
    id: int
    position: int
    name: str
    label: MappingProxyType
    relevant: str | None


@dataclass(frozen=True, eq=False)
class ItemShape:
    id: int
    code: str
    category: str
    name: str = ""


@dataclass(frozen=True, eq=False)
class QuestionShape:
    id: int
    survey_id: int
    section_id: int
    section: SectionShape
    position: int
    name: str
    type: str
    role: str | None
    item_id: int | None
    item: ItemShape | None
    label: MappingProxyType
    hint: MappingProxyType
    required: bool
    relevant: str | None
    constraint: str | None
    constraint_message: MappingProxyType
    sensitive: bool
    settings: MappingProxyType
    choices: tuple[ChoiceShape, ...]

    def text(self, field: str = "label", lang: str = "zh") -> str:
        return _text(getattr(self, field) or {}, lang)


@dataclass(frozen=True, eq=False)
class SurveyShape:
    id: int
    sections: tuple[SectionShape, ...]     # in page order
    questions: tuple[QuestionShape, ...]   # in position order, as Survey.questions


def structure(survey: Survey):
    """The survey's structure: the cached shape for an open or closed survey, the ORM survey itself for a draft.

    The cache lives on the application (one per worker, and one per test app, whose ids restart) and is keyed by
    the survey's id and timestamps, so a survey id reused by another database never meets a stale shape."""
    if survey.status == "draft" or survey.id is None:
        return survey
    cache = current_app.extensions.setdefault(CACHE_KEY, {})
    stamp = (survey.created_at, survey.updated_at)
    hit = cache.get(survey.id)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    shape = read_structure(survey.id)
    if len(cache) >= CACHE_SIZE:
        cache.clear()
    cache[survey.id] = (stamp, shape)
    return shape


def read_structure(survey_id: int) -> SurveyShape:
    """Three queries: pages; questions with their catalogue items; choices."""
    sections = {section.id: SectionShape(section.id, section.position, section.name, _frozen(section.label),
                                         section.relevant)
                for section in db.session.scalars(select(Section).where(Section.survey_id == survey_id)
                                                  .order_by(Section.position))}
    questions = db.session.scalars(select(Question).where(Question.survey_id == survey_id)
                                   .order_by(Question.position)
                                   .options(selectinload(Question.choices), joinedload(Question.item))).unique()
    shapes = tuple(QuestionShape(
        id=q.id, survey_id=q.survey_id, section_id=q.section_id, section=sections[q.section_id],
        position=q.position, name=q.name, type=q.type, role=q.role, item_id=q.item_id,
        item=ItemShape(q.item.id, q.item.code, q.item.category, q.item.name) if q.item is not None else None,
        label=_frozen(q.label), hint=_frozen(q.hint), required=bool(q.required), relevant=q.relevant,
        constraint=q.constraint, constraint_message=_frozen(q.constraint_message), sensitive=bool(q.sensitive),
        settings=_frozen(q.settings),
        choices=tuple(ChoiceShape(c.id, c.name, c.position, _frozen(c.label)) for c in q.choices))
        for q in questions)
    return SurveyShape(survey_id, tuple(sections.values()), shapes)
