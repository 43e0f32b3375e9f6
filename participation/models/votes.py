"""Owner votes (业主共同决定, 民法典第二百七十八条): the vote, one ballot per owner, its history, objections, and
owner verification.

A ballot belongs to an *owner*, not to a household or a login: ``Ballot.owner`` is the roster's 业主标识
(``Household.owner_key``) or "h<household id>" when the roster names none, and UNIQUE(vote_id, owner) makes the
database refuse a second ballot whatever the channel. Area and headcount are not stored on ballots: they are the
roster's, read at tally time (an owner of several units counted once, with the summed area), and frozen into the
vote's result columns when voting closes, so the preliminary and final results never move afterwards.

The electorate is frozen when a vote opens (DESIGN §4): ``VoteRegisterEntry`` rows hold each unit in scope with its
owner and area as of that moment, and the tally, the quorum and who may vote read them, never the live roster. A
correction during the vote is a ``VoteRegisterCorrection`` (before/after, reason, staff member).
"""
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.roster import Building, Unit
from participation.models.types import UTCDateTime, one_of, utcnow

VOTE_STATUSES = ("draft", "open", "preliminary", "final", "cancelled")
VOTE_SCOPES = ("community", "buildings", "unit")
MATTER_CLASSES = ("ordinary", "special")
BALLOT_CHOICES = ("yes", "no", "abstain")
# "in_person": entered by staff with the owner there, after the staff member typed the owner's ID tail from the ID
# card; "assisted": staff vouched without that check (ballots before issue 12; objections entered by staff).
BALLOT_CHANNELS = ("web", "paper", "assisted", "in_person")
# "id_tail": the ID tail matched the roster's hash (typed online by the owner, or in person by ``verified_by``);
# "in_person": staff vouched — a sheet the owner signed (a paper ballot, with its ``Ballot.sheet_no``), or, before
# issue 12, an assisted ballot without any check.
VERIFICATION_METHODS = ("id_tail", "in_person")

vote_buildings = Table(
    "vote_buildings", db.metadata,
    Column("vote_id", ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True, index=True),
)
# The plan items (catalogue items) a vote decides, so the plan inputs can show the outcome next to each item that
# needs an owner vote. A table rather than a column: one vote may decide several items (a package of 改建 works),
# and an item may be voted on again after a failed vote (the latest final vote counts).
vote_items = Table(
    "vote_items", db.metadata,
    Column("vote_id", ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("catalogue_items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Vote(db.Model):
    """One owners' decision on one Art. 278 matter; its class follows from the matter (items 6–8: special)."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    matter: Mapped[int] = mapped_column(nullable=False)
    matter_class: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    scope: Mapped[str] = mapped_column(String(10), nullable=False, default="community")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), nullable=True,
                                                index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    # A locality's stricter rule (art278.VoteRule.text, e.g. "9/10 all") with its source; NULL: Art. 278's own.
    rule_text: Mapped[str | None] = mapped_column(String(60), nullable=True)
    rule_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    hide_tallies: Mapped[bool] = mapped_column(nullable=False, default=False)
    opens_at = mapped_column(UTCDateTime, nullable=True)
    closes_at = mapped_column(UTCDateTime, nullable=True)
    objection_until = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    opened_at = mapped_column(UTCDateTime, nullable=True)
    closed_at = mapped_column(UTCDateTime, nullable=True)
    finalised_at = mapped_column(UTCDateTime, nullable=True)
    cancelled_at = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)   # owner_rep
    cosigned_at = mapped_column(UTCDateTime, nullable=True)
    # When the register (the electorate) was frozen: on opening. NULL for drafts (the live roster is shown).
    register_frozen_at = mapped_column(UTCDateTime, nullable=True)
    # The result as counted when voting closed (m², owners); NULL until then.
    result_area_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    result_area_participating: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    result_area_yes: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    result_headcount_total: Mapped[int | None] = mapped_column(nullable=True)
    result_headcount_participating: Mapped[int | None] = mapped_column(nullable=True)
    result_headcount_yes: Mapped[int | None] = mapped_column(nullable=True)
    result_quorum_met: Mapped[bool | None] = mapped_column(nullable=True)
    result_passed: Mapped[bool | None] = mapped_column(nullable=True)

    community = relationship("Community")
    unit = relationship("Unit")
    buildings = relationship("Building", secondary=vote_buildings, order_by="Building.sort_key")
    items = relationship("CatalogueItem", secondary=vote_items, order_by="CatalogueItem.code")
    created_by = relationship("User", foreign_keys=[created_by_id])
    cosigned_by = relationship("User", foreign_keys=[cosigned_by_id])
    ballots: Mapped[list["Ballot"]] = relationship(back_populates="vote", cascade="all, delete-orphan",
                                                   passive_deletes=True)
    objections: Mapped[list["VoteObjection"]] = relationship(back_populates="vote", cascade="all, delete-orphan",
                                                             passive_deletes=True,
                                                             order_by="VoteObjection.created_at")
    register: Mapped[list["VoteRegisterEntry"]] = relationship(back_populates="vote", cascade="all, delete-orphan",
                                                               passive_deletes=True,
                                                               order_by="VoteRegisterEntry.position")
    register_corrections: Mapped[list["VoteRegisterCorrection"]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", passive_deletes=True,
        order_by="VoteRegisterCorrection.id")

    __table_args__ = (
        CheckConstraint("matter BETWEEN 1 AND 9", name="matter_range"),
        CheckConstraint("(matter BETWEEN 6 AND 8 AND matter_class = 'special') OR "
                        "(matter NOT BETWEEN 6 AND 8 AND matter_class = 'ordinary')", name="matter_class"),
        one_of("scope", VOTE_SCOPES, "scope"),
        one_of("status", VOTE_STATUSES, "status"),
        CheckConstraint("(scope = 'unit' AND unit_id IS NOT NULL) OR (scope <> 'unit' AND unit_id IS NULL)",
                        name="unit_scope"),
        CheckConstraint("(rule_text IS NULL AND rule_source IS NULL) OR "
                        "(rule_text IS NOT NULL AND rule_source IS NOT NULL)", name="rule_has_source"),
        CheckConstraint("closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at", name="dates"),
        CheckConstraint("status <> 'final' OR cosigned_at IS NOT NULL", name="final_cosigned"),
        CheckConstraint("status NOT IN ('preliminary', 'final') OR result_passed IS NOT NULL",
                        name="closed_has_result"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
    )

    @property
    def closed(self) -> bool:
        """Voting is over (a preliminary or final result exists)."""
        return self.status in ("preliminary", "final")

    def __repr__(self) -> str:
        return f"<Vote {self.id} matter {self.matter} {self.status}>"


class OwnerVerification(db.Model):
    """An owner shown to be the owner: the ID tail typed online (``id_tail``), or checked in person by staff
    (``in_person``: a paper or assisted ballot). ``vote_id`` NULL: not tied to one vote."""

    __tablename__ = "owner_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    owner: Mapped[str] = mapped_column(String(80), nullable=False)
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=True,
                                                index=True)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    verified_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # A check made by staff in person is good for one ballot: set when that ballot is cast.
    used_at = mapped_column(UTCDateTime, nullable=True)

    household = relationship("Household")
    verified_by = relationship("User")

    __table_args__ = (one_of("method", VERIFICATION_METHODS, "method"),)

    def __repr__(self) -> str:
        return f"<OwnerVerification {self.id} {self.owner} {self.method}>"


class Ballot(db.Model):
    """The one ballot of one owner in one vote; changes overwrite ``choice`` and add a ``BallotChange``."""

    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False)
    owner: Mapped[str] = mapped_column(String(80), nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)   # the unit it was last cast through
    choice: Mapped[str] = mapped_column(String(10), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    verification_id: Mapped[int] = mapped_column(ForeignKey("owner_verifications.id"), nullable=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)   # staff, paper
    sheet_no: Mapped[str | None] = mapped_column(String(40), nullable=True)   # 票号 of the signed paper sheet
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    vote: Mapped[Vote] = relationship(back_populates="ballots")
    household = relationship("Household")
    verification = relationship("OwnerVerification")
    verified_by = relationship("User")
    changes: Mapped[list["BallotChange"]] = relationship(back_populates="ballot", cascade="all, delete-orphan",
                                                         passive_deletes=True, order_by="BallotChange.id")

    __table_args__ = (
        UniqueConstraint("vote_id", "owner"),
        one_of("choice", BALLOT_CHOICES, "choice"),
        one_of("channel", BALLOT_CHANNELS, "channel"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    def __repr__(self) -> str:
        return f"<Ballot {self.id} vote {self.vote_id} {self.owner} {self.choice}>"


class BallotChange(db.Model):
    """Every cast of a ballot until close, the first included (``old_choice`` NULL)."""

    __tablename__ = "ballot_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    old_choice: Mapped[str | None] = mapped_column(String(10), nullable=True)
    new_choice: Mapped[str] = mapped_column(String(10), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)   # staff, if any
    changed_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    ballot: Mapped[Ballot] = relationship(back_populates="changes")
    actor = relationship("User")

    __table_args__ = (
        CheckConstraint(f"old_choice IS NULL OR old_choice IN ({', '.join(repr(c) for c in BALLOT_CHOICES)})",
                        name="old_choice"),
        one_of("new_choice", BALLOT_CHOICES, "new_choice"),
        one_of("channel", BALLOT_CHANNELS, "channel"),
    )

    def __repr__(self) -> str:
        return f"<BallotChange {self.id} {self.old_choice}→{self.new_choice}>"


class VoteObjection(db.Model):
    """An objection raised during the objection period (询异公示), and its answer."""

    __tablename__ = "vote_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"),
                                                     nullable=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)   # staff entering it
    channel: Mapped[str] = mapped_column(String(10), nullable=False, default="web")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, nullable=True)   # the household last edited it

    vote: Mapped[Vote] = relationship(back_populates="objections")
    household = relationship("Household")
    raised_by = relationship("User", foreign_keys=[raised_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    __table_args__ = (
        # One objection per household per vote, edited until the period ends (NULL: staff entered it for nobody).
        UniqueConstraint("vote_id", "household_id"),
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        one_of("channel", BALLOT_CHANNELS, "channel"),
        CheckConstraint("(answer IS NULL AND answered_at IS NULL) OR (answer IS NOT NULL AND answered_at IS NOT "
                        "NULL)", name="answered"),
    )

    def __repr__(self) -> str:
        return f"<VoteObjection {self.id} vote {self.vote_id}>"


class VoteRegisterEntry(db.Model):
    """One exclusive unit of a vote's register (表决名册), frozen when the vote opened: its owner identity (as
    ``Ballot.owner``), its registered area and its names as printed. Roster imports never touch it."""

    __tablename__ = "vote_register"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    owner: Mapped[str] = mapped_column(String(80), nullable=False)
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    building: Mapped[str] = mapped_column(String(20), nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False)
    room: Mapped[str] = mapped_column(String(20), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)   # the roster's order when frozen

    vote: Mapped[Vote] = relationship(back_populates="register")
    household = relationship("Household")

    __table_args__ = (
        UniqueConstraint("vote_id", "household_id"),
        CheckConstraint("area > 0", name="area_positive"),
    )

    @property
    def address(self) -> str:
        """As ``Household.address`` printed it when the register was frozen."""
        return f"{Building.label_of(self.building)}{Unit.label_of(self.unit)}{self.room}室"

    def __repr__(self) -> str:
        return f"<VoteRegisterEntry vote {self.vote_id} household {self.household_id} {self.owner} {self.area}>"


class VoteRegisterCorrection(db.Model):
    """A correction of one register entry while the vote is open: before and after, why, and who."""

    __tablename__ = "vote_register_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("vote_register.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    owner_before: Mapped[str] = mapped_column(String(80), nullable=False)
    owner_after: Mapped[str] = mapped_column(String(80), nullable=False)
    area_before: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    area_after: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    vote: Mapped[Vote] = relationship(back_populates="register_corrections")
    entry: Mapped[VoteRegisterEntry] = relationship()
    actor = relationship("User")

    __table_args__ = (
        CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        CheckConstraint("area_after > 0", name="area_positive"),
        CheckConstraint("owner_before <> owner_after OR area_before <> area_after", name="changes_something"),
    )

    def __repr__(self) -> str:
        return f"<VoteRegisterCorrection {self.id} entry {self.entry_id}>"


class PaperKeying(db.Model):
    """The first keying of a file of paper ballots, waiting for a second person to key the same sheets (double
    keying); nothing is cast until the two agree. One waiting keying per vote. ``rows``: [{"row", "household_id",
    "choice", "sheet_no"}] as checked when it was keyed."""

    __tablename__ = "paper_keyings"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, unique=True)
    keyed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    rows: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    vote = relationship("Vote")
    keyed_by = relationship("User")

    def __repr__(self) -> str:
        return f"<PaperKeying vote {self.vote_id} by {self.keyed_by_id}>"
