"""Surveys, their sections and questions, and the households' responses.

A response is one household's answers to one survey, whatever the channel (web, hotline, paper, door to door): the
database refuses a second one. Answers are stored one row per value (one per picked choice), so summaries are a
GROUP BY, not a loop over JSON.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.handlers import Refused
from participation.models.types import UTCDateTime, one_of, utcnow

SURVEY_STATUSES = ("draft", "open", "closed")
RESULTS_VISIBILITY = ("after_close", "never")
QUESTION_TYPES = (
    "select_one", "select_multiple", "rank", "rating", "yes_no", "integer", "decimal", "text", "long_text",
    "phone", "date", "note", "photo",
)
# What a question means for the plan inputs (DESIGN §6); None for an ordinary question.
QUESTION_ROLES = ("item_need", "item_share", "item_priority", "cofunding_band", "elevator")
RESPONSE_STATUSES = ("draft", "submitted")


class SurveyStateError(Refused):
    """An illegal transition (opening a closed survey, editing an open one …); the message (an English msgid,
    translated where it is shown: surveys.builder.questions.STATE_MESSAGES) is shown to staff."""


class Survey(db.Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True, index=True)
    is_template: Mapped[bool] = mapped_column(nullable=False, default=False)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"), nullable=True)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)          # {"zh": …, "en": …}
    description: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confidential: Mapped[bool] = mapped_column(nullable=False, default=False)
    results_visibility: Mapped[str] = mapped_column(String(12), nullable=False, default="after_close")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    community = relationship("Community")
    sections: Mapped[list["Section"]] = relationship(back_populates="survey", order_by="Section.position",
                                                     cascade="all, delete-orphan")
    questions: Mapped[list["Question"]] = relationship(back_populates="survey", order_by="Question.position",
                                                       cascade="all, delete-orphan")

    __table_args__ = (
        one_of("status", SURVEY_STATUSES, "status"),
        one_of("results_visibility", RESULTS_VISIBILITY, "results_visibility"),
        CheckConstraint("is_template OR community_id IS NOT NULL", name="community_or_template"),
        CheckConstraint("closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at", name="dates"),
    )

    def effective_status(self, now: datetime | None = None) -> str:
        """The status as residents meet it: an open survey past its closing time is closed (automatic close)."""
        now = now or utcnow()
        if self.status == "open" and self.closes_at is not None and now >= self.closes_at:
            return "closed"
        if self.status == "open" and self.opens_at is not None and now < self.opens_at:
            return "draft"
        return self.status

    def is_accepting(self, now: datetime | None = None) -> bool:
        return self.effective_status(now) == "open"

    def open(self, now: datetime | None = None) -> None:
        if self.is_template:
            raise SurveyStateError("A template cannot be opened; copy it to a community first.")
        if self.status != "draft":
            raise SurveyStateError("Only a draft survey can be opened.")
        if not any(question.type != "note" for question in self.questions):
            raise SurveyStateError("A survey needs at least one question before it opens.")
        now = now or utcnow()
        if self.closes_at is not None and self.closes_at <= now:
            raise SurveyStateError("The closing time has already passed.")
        self.status = "open"
        if self.opens_at is None:
            self.opens_at = now

    def close(self, now: datetime | None = None) -> None:
        if self.status != "open":
            raise SurveyStateError("Only an open survey can be closed.")
        now = now or utcnow()
        self.status = "closed"
        if self.closes_at is None or self.closes_at > now:
            self.closes_at = now

    def close_if_due(self, now: datetime | None = None) -> bool:
        """Record the automatic close once its time has come; True when the status changed."""
        if self.status == "open" and self.effective_status(now) == "closed":
            self.status = "closed"
            return True
        return False

    def require_editable(self) -> None:
        if self.status != "draft":
            raise SurveyStateError("Questions can only change while the survey is a draft.")

    def label(self, lang: str = "zh") -> str:
        return self.title.get(lang) or self.title.get("zh") or next(iter(self.title.values()), "")

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.status}>"


class Section(db.Model):
    """A page of the survey (an XLSForm group); skip logic may hide a whole section."""

    __tablename__ = "survey_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    relevant: Mapped[str | None] = mapped_column(Text, nullable=True)

    survey: Mapped[Survey] = relationship(back_populates="sections")
    questions: Mapped[list["Question"]] = relationship(back_populates="section", order_by="Question.position")

    __table_args__ = (UniqueConstraint("survey_id", "name"), UniqueConstraint("survey_id", "position"))

    def __repr__(self) -> str:
        return f"<Section {self.id} {self.name}>"


class Question(db.Model):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False, index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_sections.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)   # the XLSForm name, ${name} in expressions
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_items.id"), nullable=True)
    label: Mapped[dict] = mapped_column(JSON, nullable=False)
    hint: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    required: Mapped[bool] = mapped_column(nullable=False, default=False)
    relevant: Mapped[str | None] = mapped_column(Text, nullable=True)
    constraint: Mapped[str | None] = mapped_column(Text, nullable=True)
    constraint_message: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    sensitive: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Type-specific settings: min/max picks, bounds, scale, top_n, audience, appearance …
    settings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    section: Mapped[Section] = relationship(back_populates="questions")
    item = relationship("CatalogueItem")
    choices: Mapped[list["Choice"]] = relationship(back_populates="question", order_by="Choice.position",
                                                   cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("survey_id", "name"),
        UniqueConstraint("survey_id", "position"),
        one_of("type", QUESTION_TYPES, "type"),
        CheckConstraint(f"role IS NULL OR role IN ({', '.join(repr(r) for r in QUESTION_ROLES)})", name="role"),
    )

    def text(self, field: str = "label", lang: str = "zh") -> str:
        value = getattr(self, field) or {}
        return value.get(lang) or value.get("zh") or next(iter(value.values()), "")

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.name} {self.type}>"


class Choice(db.Model):
    __tablename__ = "survey_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    position: Mapped[int] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[dict] = mapped_column(JSON, nullable=False)

    question: Mapped[Question] = relationship(back_populates="choices")

    __table_args__ = (UniqueConstraint("question_id", "name"),)

    def text(self, lang: str = "zh") -> str:
        return self.label.get(lang) or self.label.get("zh") or next(iter(self.label.values()), self.name)

    def __repr__(self) -> str:
        return f"<Choice {self.name}>"


class Response(db.Model):
    """One household's answers to one survey; a draft until submitted, editable until the survey closes."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    receipt: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="web")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    sensitive_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    survey = relationship("Survey")
    household = relationship("Household")
    staff = relationship("User")
    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")

    __table_args__ = (
        # One household, one response per survey, across every channel.
        UniqueConstraint("survey_id", "household_id"),
        one_of("status", RESPONSE_STATUSES, "status"),
        one_of("channel", ("web", "phone", "paper", "door_to_door", "hotline", "import"), "channel"),
        CheckConstraint("channel IN ('web', 'import') OR staff_id IS NOT NULL", name="assisted_has_staff"),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
    )

    def __repr__(self) -> str:
        return f"<Response {self.id} survey={self.survey_id} household={self.household_id} {self.status}>"


class Answer(db.Model):
    """One value of one question: a picked choice (with its rank for ranking questions), a number, a text or a date."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), nullable=False)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), nullable=False)
    choice: Mapped[str | None] = mapped_column(String(60), nullable=True)
    rank: Mapped[int | None] = mapped_column(nullable=True)
    number: Mapped[Decimal | None] = mapped_column(Numeric(16, 4), nullable=True)
    text_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_value = mapped_column(Date, nullable=True)

    response: Mapped[Response] = relationship(back_populates="answers")
    question = relationship("Question")

    __table_args__ = (
        # Also the index of a response's answers (its leading column): no second one to keep up at every save.
        UniqueConstraint("response_id", "question_id", "choice"),
        Index("ix_survey_answers_question_choice", "question_id", "choice"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank"),
    )

    def __repr__(self) -> str:
        return f"<Answer q={self.question_id} {self.choice or self.number or self.text_value or self.date_value}>"


class ResponseRevision(db.Model):
    """Every saved version of a response (edit until close, with history): who, how, when, and what."""

    __tablename__ = "survey_response_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    values: Mapped[dict] = mapped_column(JSON, nullable=False)   # {question name: value as answered}
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    # Also the index of a response's history (its leading column).
    __table_args__ = (UniqueConstraint("response_id", "version"),)

    def __repr__(self) -> str:
        return f"<ResponseRevision {self.response_id} v{self.version}>"


TALLY_KINDS = ("respondents", "choice", "number", "date")


class Tally(db.Model):
    """A running count of one survey's submitted answers, kept by ``surveys.results.tallies`` in the same transaction as
    every save: per question its respondents, and per picked choice (and rank), number or date how many households
    gave it and their registered area. Summaries read these few hundred rows instead of every answer."""

    __tablename__ = "survey_tallies"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    value: Mapped[str] = mapped_column(String(60), primary_key=True, default="")   # choice, number or ISO date
    rank: Mapped[int] = mapped_column(primary_key=True, default=0)                 # 0: not a ranking
    count: Mapped[int] = mapped_column(nullable=False, default=0)
    area: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)

    # No CHECK (count >= 0): a decrement is inserted as a negative row before ON CONFLICT adds it to the tally.
    __table_args__ = (one_of("kind", TALLY_KINDS, "kind"),)

    def __repr__(self) -> str:
        return f"<Tally q={self.question_id} {self.kind} {self.value!r} #{self.rank}: {self.count}>"
