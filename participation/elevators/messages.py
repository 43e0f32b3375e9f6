"""What the elevator request of a 单元 tells its households (DESIGN §10): each step — started, consultation, the
consent vote, approved or rejected and why, withdrawn, a home the shaft would occupy, an owner's own consent
recorded — reaches the households concerned through ``participation.reach.outbox`` as kind ``elevator.request``
(optional: a household may refuse its SMS). The in-app text says which step; an SMS carries the community's name and
the 单元 only. Flush, never commit.

    tell(unit, households, text)
"""
from participation.extensions import db
from participation.models import Unit
from participation.reach import outbox


def unit_words(unit: Unit) -> str:
    """The 单元 as a message names it: "3号楼2单元"."""
    return f"{unit.building.label}{unit.label}"


def tell(unit: Unit, households, text: str) -> int:
    community = unit.building.community
    params = {"community": community.name, "unit": unit_words(unit)}
    link = f"/r/{community.code}/elevator"        # participation.elevators.views: the household's elevator page
    written = [outbox.to_household(household, "elevator.request", text, params=params, link=link)
               for household in households]
    db.session.flush()
    return len(written)
