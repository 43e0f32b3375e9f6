"""Elevators per 单元 (加装电梯, DESIGN §4): the request's life and the owners' consent vote. The estimate each household
sees before any vote (floor shares, the year's subsidy) is participation.elevators.shares'.

The request (一家牵头: one household may start the 意愿征询, 吉林省 2026): started → consultation → vote → approved /
rejected, or withdrawn; one active request per 单元. The organiser marks the households whose 专有部分 the shaft would
occupy and records each owner's own consent. Every step is audited and the 单元's households hear of it through the
outbox. Operations flush and never commit; a refused step raises ``ElevatorRefused``.

The owners' consent vote (``open_consent_vote``): matter 7 of Art. 278 (改建, special class), scoped to the 单元, or the
locality's stricter ``elevator_consent`` rule (shown with its source; Art. 278's quorum and special class still
apply). ``settle_consent`` approves only when the final vote passed and every owner whose home the shaft would
occupy consented on their own; otherwise it rejects, with the reasons in words.

    open_consent_vote(actor, request, *, closes_at, opens_at=None, title=None, hide_tallies=False) -> Vote
    settle_consent(actor, request) -> ElevatorRequest          # "approved" or "rejected"
    consent_rule(community, year=None) -> art278.VoteRule | None   # None: Art. 278's special class
    consent_reasons(request) -> list[str]                      # why it cannot be approved (empty: it can)
    vote_summary(request) -> dict | None                       # the consent vote for pages and plan inputs
    elevator_overview(community, year=None) -> list[dict]      # per 单元, for the plan inputs
"""
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from participation.audit import record
from participation.elevators import messages
from participation.elevators.queries import active_request, elevator_units, latest_requests, plan_year
from participation.elevators.shares import unit_estimate, year_terms
from participation.extensions import db
from participation.formatting import number
from participation.handlers import Refused
from participation.models import Community, ElevatorRequest, ElevatorShaftOwner, Household, User, Vote
from participation.models.types import utcnow
from participation.reference.locality import rules_for_year
from participation.votes import art278, ballots, operations as votes

CONSENT_CHANNELS = ("paper", "door_to_door")   # an occupied owner's own consent: in person, never by phone
MAX_ESTIMATE = Decimal("100000000")


class ElevatorRefused(Refused):
    """A step that may not be taken now; the message (``errors[""]``) is shown as it is."""


# --- the request -------------------------------------------------------------------------------------------------

def start_request(household: Household, *, channel: str = "web", staff: User | None = None,
                  note: str | None = None) -> ElevatorRequest:
    """一家牵头: any household of a 单元 that can take an elevator starts its request, if none is active."""
    unit = household.unit
    if not unit.elevator_possible:
        raise ElevatorRefused(_("The organisers have not marked this 单元 as able to take an elevator, so a request "
                                "cannot be started. Please ask your community."))
    if active_request(unit) is not None:
        raise ElevatorRefused(_("A request for an elevator in this 单元 is already under way."))
    request = ElevatorRequest(unit=unit, started_by=household, started_channel=channel, status="started",
                              note=(note or "").strip() or None)
    try:
        with db.session.begin_nested():
            db.session.add(request)
            db.session.flush()
    except IntegrityError:   # another household of the 单元 started one at the same moment
        raise ElevatorRefused(_("A request for an elevator in this 单元 is already under way.")) from None
    community = unit.building.community
    record(staff, "elevator.start", request, community=community, channel=channel, unit=messages.unit_words(unit),
           household=household.address)
    messages.tell(unit, unit.households, _("A household of %(unit)s has started a request for an elevator "
                                           "(一家牵头). Open your household page to see the estimate and your "
                                           "share.", unit=messages.unit_words(unit)))
    return request


def _check_active(request: ElevatorRequest) -> None:
    if not request.active:
        raise ElevatorRefused(_("This request is closed; nothing can be changed on it."))


def move_request(actor: User | None, request: ElevatorRequest, status: str, **detail) -> ElevatorRequest:
    """A step of the lifecycle (consultation, vote, approved, rejected, withdrawn); other steps are refused."""
    if not request.may_move_to(status):
        raise ElevatorRefused(_("This step is not possible for the request now."))
    before = request.status
    request.move_to(status)
    db.session.flush()
    unit = request.unit
    record(actor, f"elevator.{status}", request, community=unit.building.community, before=before, after=status,
           unit=messages.unit_words(unit), **detail)
    texts = {
        "consultation": _("The request for an elevator in %(unit)s is now open for consultation (意愿征询)."),
        "vote": _("The owners of %(unit)s are asked to vote on the elevator."),
        "approved": _("The owners of %(unit)s approved the elevator."),
        "rejected": _("The elevator for %(unit)s was not approved."),
        "withdrawn": _("The request for an elevator in %(unit)s was withdrawn."),
    }
    messages.tell(unit, unit.households, texts[status] % {"unit": messages.unit_words(unit)})
    return request


def open_consultation(actor: User, request: ElevatorRequest) -> ElevatorRequest:
    return move_request(actor, request, "consultation")


def withdraw(actor: User | None, request: ElevatorRequest, *, household: Household | None = None,
             channel: str = "web") -> ElevatorRequest:
    """Staff withdraw a request; a household only the one it started, before the vote."""
    if household is not None and (request.started_by_household_id != household.id or request.status == "vote"):
        raise ElevatorRefused(_("Only the household that started the request can withdraw it, before the vote."))
    return move_request(actor, request, "withdrawn", channel=channel,
                        household=household.address if household is not None else None)


def parse_estimate(text: str | None) -> Decimal | None:
    """An organiser's estimate in yuan: empty → None (the catalogue's cost); else a positive amount."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= MAX_ESTIMATE \
            or amount.as_tuple().exponent < -2:
        raise ElevatorRefused(_("Enter the estimate in yuan, such as 580000, or leave it empty to use the "
                                "catalogue's reference cost."))
    return amount


def set_estimate(actor: User, request: ElevatorRequest, text: str | None) -> ElevatorRequest:
    _check_active(request)
    amount = parse_estimate(text)
    before = request.cost_estimate
    request.cost_estimate = amount
    db.session.flush()
    record(actor, "elevator.estimate", request, community=request.unit.building.community,
           changes={"cost_estimate": [before, amount]})
    return request


def mark_shaft_households(actor: User, request: ElevatorRequest, households: list[Household]) -> dict:
    """Set which households' 专有部分 the shaft would occupy; returns the rooms added and removed."""
    _check_active(request)
    if any(household.unit_id != request.unit_id for household in households):
        raise ElevatorRefused(_("Choose households of this 单元 only."))
    wanted = {household.id: household for household in households}
    current = {owner.household_id: owner for owner in request.shaft_owners}
    added = [wanted[key] for key in wanted if key not in current]
    removed = [owner for key, owner in current.items() if key not in wanted]
    for owner in removed:
        request.shaft_owners.remove(owner)
    for household in added:
        request.shaft_owners.append(ElevatorShaftOwner(household=household, marked_by_id=actor.id))
    db.session.flush()
    change = {"added": [h.room for h in added], "removed": [owner.household.room for owner in removed]}
    if added or removed:
        record(actor, "elevator.shaft_mark", request, community=request.unit.building.community, **change)
        messages.tell(request.unit, added, _("The elevator planned for %(unit)s would occupy part of your home. It "
                                             "needs your own consent; the organiser will ask you.",
                                             unit=messages.unit_words(request.unit)))
    return change


def record_shaft_consent(actor: User, request: ElevatorRequest, household: Household, consent: bool,
                         channel: str, note: str | None = None) -> ElevatorShaftOwner:
    """An occupied owner's own yes or no, taken in person; a later answer replaces it (the audit keeps both)."""
    _check_active(request)
    owner = next((owner for owner in request.shaft_owners if owner.household_id == household.id), None)
    if owner is None:
        raise ElevatorRefused(_("This household is not marked as one whose home the shaft would occupy."))
    if channel in ballots.PHONE_CHANNELS:
        raise ElevatorRefused(_("An owner's consent is never taken by phone. Ask the owner in person or on a "
                                "signed paper."))
    if channel not in CONSENT_CHANNELS:
        raise ElevatorRefused(_("Choose how the owner gave the answer."))
    before = owner.consent
    owner.consent, owner.consent_channel, owner.consent_note = consent, channel, (note or "").strip() or None
    owner.consent_at = utcnow()
    owner.consent_recorded_by_id = actor.id
    db.session.flush()
    record(actor, "elevator.shaft_consent", owner, community=request.unit.building.community, channel=channel,
           household=household.address, before=before, after=consent)
    messages.tell(request.unit, [household], _("Your answer on the elevator shaft in your home was recorded: "
                                               "%(answer)s.", answer=_("I agree") if consent else _("I do not agree")))
    return owner


def shaft_consent_summary(request: ElevatorRequest) -> dict:
    """The occupied owners' answers; the elevator can go ahead only when every one of them agreed."""
    answers = [owner.consent for owner in request.shaft_owners]
    return {"marked": len(answers), "yes": answers.count(True), "no": answers.count(False),
            "pending": answers.count(None), "all_agreed": all(answer is True for answer in answers)}


def elevator_overview(community: Community, year: int | None = None) -> list[dict]:
    """Per 单元 that can take an elevator, plain data for the plan inputs: the latest request's status (None: no
    request), its vote (``vote_summary``), the cost, the subsidy (None: 未配置), the owners' part and the shaft owners' answers."""
    year = year or plan_year(community)
    units = elevator_units(community)
    if not units:
        return []
    latest = latest_requests(units)
    terms = year_terms(community.district.locality, year)
    rows = []
    for unit in units:
        request = latest.get(unit.id)
        active = request if request is not None and request.active else None
        estimate = unit_estimate(unit, year, request=active, terms=terms)
        rows.append({
            "unit_id": unit.id, "unit": messages.unit_words(unit), "status": request.status if request else None,
            "vote_id": request.vote_id if request else None, "vote": vote_summary(request), "year": year,
            "cost": estimate["cost"],
            "subsidy": estimate["subsidy"], "subsidy_configured": estimate["subsidy_configured"],
            "owners_part": estimate["owners_part"],
            "shaft": shaft_consent_summary(request) if request is not None else None,
        })
    return rows


# --- the owners' consent vote ------------------------------------------------------------------------------------

CONSENT_MATTER = 7   # 民法典第二百七十八条第一款第七项: 改建、重建建筑物及其附属设施 — special class (双四分之三)
CONSENT_RULE_KIND = "elevator_consent"


def consent_rule(community: Community, year: int | None = None):
    """The rule an elevator consent vote is decided by in ``year`` (the plan year): the locality's
    ``elevator_consent`` rule when it has one (key share_of_all or share_of_participating, a fraction; share_of_all
    wins when both are in force), shown with its source; else None — Art. 278's special class. A locality's rule
    applies on top of the Art. 278 quorum, and ``settle_consent`` also requires Art. 278's special class."""
    locality = community.district.locality
    if locality is None:
        return None
    rules = rules_for_year(locality, CONSENT_RULE_KIND, year or plan_year(community))
    for key, base in (("share_of_all", "all"), ("share_of_participating", "participating")):
        rule = rules.get(key)
        if rule is not None and rule.number_value is not None:
            share = Fraction(Decimal(rule.number_value).normalize())
            return art278.VoteRule(share.numerator, share.denominator, base, strict=False,
                                   source=f"{locality.name}: {rule.source}")
    return None


def open_consent_vote(actor: User, request: ElevatorRequest, *, closes_at, opens_at=None, title: str | None = None,
                      hide_tallies: bool = False) -> Vote:
    """Create and open the owners' consent vote on the request: matter 7 (改建, special class), scoped to the
    request's 单元, decided by the locality's stricter rule when one is in force (with its source), else by Art.
    278's special class; the request moves to "vote" and links it. VoteError / ElevatorRefused before any change."""
    if not request.may_move_to("vote"):
        raise ElevatorRefused(_("The consent vote can be opened only after the consultation (意愿征询) has started."))
    unit = request.unit
    community = unit.building.community
    year = plan_year(community)
    estimate = unit_estimate(unit, year, request=request)
    rule = consent_rule(community, year)
    name = messages.unit_words(unit)
    lines = [_("Adding an elevator to %(unit)s (加装电梯).", unit=name)]
    if estimate["cost"] is not None:
        lines.append(_("Estimated cost: %(cost)s yuan.", cost=number(estimate['cost'])))
    lines.append(_("Subsidy for %(year)d: %(subsidy)s.", year=year, subsidy=estimate["subsidy_text"]))
    if estimate["owners_part"] is not None:
        lines.append(_("Owners' part: %(amount)s yuan, shared by floor; each household sees its estimated share "
                       "on its elevator page.", amount=number(estimate['owners_part'])))
    if request.shaft_owners:
        lines.append(_("The shaft would occupy part of %(count)d homes; their owners must also agree one by one.",
                       count=len(request.shaft_owners)))
    vote = votes.create_vote(actor, community, CONSENT_MATTER, title or _("Elevator for %(unit)s", unit=name),
                             description=" ".join(lines), scope="unit", unit=unit, opens_at=opens_at,
                             closes_at=closes_at, hide_tallies=hide_tallies, rule=rule, open_now=opens_at is None)
    request.vote_id = vote.id
    move_request(actor, request, "vote", vote_id=vote.id, rule=votes.rule_of(vote).text,
                 rule_source=votes.rule_of(vote).source)
    return vote


def settle_consent(actor: User, request: ElevatorRequest) -> ElevatorRequest:
    """After the consent vote is final: approved when the vote passed (and, under a locality's rule, Art. 278's
    special class too) and every owner whose home the shaft occupies consented on their own; else rejected, with
    the reasons in words (audited as ``reasons``; the 单元 is told)."""
    vote = request.vote
    if request.status != "vote" or vote is None:
        raise ElevatorRefused(_("This request has no consent vote to settle."))
    if vote.status != "final":
        raise ElevatorRefused(_("The consent vote is not final yet."))
    reasons = consent_reasons(request)
    outcome = "rejected" if reasons else "approved"
    move_request(actor, request, outcome, vote_id=vote.id, passed=vote.result_passed, reasons=reasons)
    if reasons:
        messages.tell(request.unit, request.unit.households, _("Why: %(reasons)s", reasons="; ".join(reasons)))
    return request


def consent_reasons(request: ElevatorRequest) -> list[str]:
    """Why a settled consent vote cannot approve the elevator, in words; empty when it can."""
    vote = request.vote
    result = votes.tally(vote)
    reasons = [] if vote.result_passed else [_("The owners' vote did not pass.")] + list(result["reasons"])
    if vote.result_passed and vote.rule_text is not None:
        special = art278.decide(vote.result_area_total, vote.result_area_participating, vote.result_area_yes,
                                vote.result_headcount_total, vote.result_headcount_participating,
                                vote.result_headcount_yes, art278.SPECIAL)
        if not special.passed:
            reasons += [_("The locality's rule was met, but not Art. 278's special class:")] + special.reasons
    for owner in request.shaft_owners:
        room = owner.household.address
        if owner.consent is False:
            reasons.append(_("The owner of %(home)s, whose home the shaft would occupy, did not agree.", home=room))
        elif owner.consent is None:
            reasons.append(_("The owner of %(home)s, whose home the shaft would occupy, has not given consent.",
                             home=room))
    return reasons


def vote_summary(request: ElevatorRequest | None) -> dict | None:
    """The consent vote of a request as plain data for pages and the plan inputs: id, status, passed (None until
    voting is over), the rule in words and its source; None without a vote."""
    if request is None or request.vote is None:
        return None
    vote = request.vote
    rule = votes.rule_of(vote)
    return {"id": vote.id, "status": vote.status, "passed": vote.result_passed if vote.closed else None,
            "rule": rule.text, "rule_source": rule.source, "locality_rule": vote.rule_text is not None,
            "closes_at": vote.closes_at}
