"""Household codes: format, entropy, hashing, issue and revocation (operations, no HTTP)."""
import math
import random

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, HouseholdCode
from participation.roster import codes

LOOK_ALIKES = set("01OILoil")


def test_alphabet_has_no_look_alikes_and_gives_at_least_40_bits():
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET) == 31
    assert not LOOK_ALIKES & set(codes.ALPHABET)
    assert codes.ALPHABET == codes.ALPHABET.upper()
    bits = codes.LENGTH * math.log2(len(codes.ALPHABET))
    assert bits >= 44.5


def test_new_codes_use_only_the_alphabet_and_vary():
    drawn = [codes.new_code() for _ in range(300)]
    assert all(len(code) == 9 and set(code) <= set(codes.ALPHABET) for code in drawn)
    assert len(set(drawn)) == len(drawn)
    # Every letter of the alphabet turns up in 2,700 draws (a biased generator would miss some).
    assert set("".join(drawn)) == set(codes.ALPHABET)


def test_a_seeded_generator_is_deterministic_for_the_demo():
    assert codes.new_code(random.Random(7)) == codes.new_code(random.Random(7))


@pytest.mark.parametrize("typed, expected", [
    ("K7M-4PX-2QH", "K7M4PX2QH"), ("k7m 4px 2qh", "K7M4PX2QH"), (" K7M4PX2QH ", "K7M4PX2QH"),
    ("K7M-4PX-2Q", None), ("K7M-4PX-2QHH", None), ("K7M-4PX-2Q0", None), ("K7M-4PX-2QI", None), ("", None),
    (None, None), ("金7M-4PX-2QH", None),
])
def test_normalise_accepts_what_people_type(typed, expected):
    assert codes.normalise(typed) == expected


def test_display_groups_in_threes():
    assert codes.display("K7M4PX2QH") == "K7M-4PX-2QH"


def test_only_a_keyed_hash_is_stored_and_issue_is_audited(make_community, make_user):
    community = make_community()
    organiser = make_user("organiser", communities=[community])
    household = community.buildings[0].units[0].households[0]
    plain = codes.issue_code(organiser, household)
    db.session.commit()
    row = db.session.scalar(select(HouseholdCode).where(HouseholdCode.household_id == household.id))
    assert plain not in row.code_hash and codes.display(plain) not in row.code_hash
    assert len(row.code_hash) == 64 and row.code_hash == codes.code_hash(community.code, plain)
    assert row.issued_by_id == organiser.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_code.issue"))
    assert event.actor_id == organiser.id and event.object_id == str(household.id)
    assert event.community_id == community.id


def test_the_same_code_in_another_community_hashes_differently(make_community):
    first, second = make_community(), make_community()
    assert codes.code_hash(first.code, "K7M4PX2QH") != codes.code_hash(second.code, "K7M4PX2QH")


def test_reissuing_revokes_the_old_code(make_community, make_user):
    community = make_community()
    organiser = make_user("organiser", communities=[community])
    household = community.buildings[0].units[0].households[0]
    old = codes.issue_code(organiser, household)
    new = codes.issue_code(organiser, household)
    db.session.commit()
    assert codes.find_by_code(community.code, old) is None
    assert codes.find_by_code(community.code, codes.display(new).lower()).household_id == household.id
    rows = db.session.scalars(select(HouseholdCode).where(HouseholdCode.household_id == household.id)).all()
    assert sorted(row.revoked_at is None for row in rows) == [False, True]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_code.regenerate")) is not None


def test_a_code_only_opens_its_own_community(make_community):
    first, second = make_community(), make_community()
    plain = codes.issue_code(None, first.buildings[0].units[0].households[0])
    assert codes.find_by_code(first.code, plain) is not None
    assert codes.find_by_code(second.code, plain) is None


def test_unit_codes_only_for_households_without_one_unless_reissuing(make_community, make_user):
    community = make_community(floors=2, per_floor=2)
    organiser = make_user("organiser", communities=[community])
    unit = community.buildings[0].units[0]
    first_household = unit.households[0]
    kept = codes.issue_code(organiser, first_household)
    issued = codes.issue_unit_codes(organiser, unit)
    assert [household.room for household, _ in issued] == [h.room for h in unit.households[1:]]
    assert codes.find_by_code(community.code, kept) is not None
    again = codes.issue_unit_codes(organiser, unit, reissue_all=True)
    assert len(again) == len(unit.households)
    assert codes.find_by_code(community.code, kept) is None
    assert all(codes.find_by_code(community.code, plain).household_id == household.id for household, plain in again)
