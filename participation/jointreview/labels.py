"""Words for the joint review's stored codes: a reviewing organisation's speciality and a party's word on an item.

They join ``participation.labels.ALL_LABELS`` when this module is imported (the organisation pages import it through
their form), so templates write ``label('speciality', code)`` like any other code."""
from flask_babel import lazy_gettext as _l

from participation.labels import ALL_LABELS

SPECIALITY_LABELS = {
    "planning": _l("Planning and natural resources (规自)"), "urban_management": _l("Urban management (城管)"),
    "housing": _l("Housing administration (房管)"), "water": _l("Water supply and drainage"),
    "power": _l("Electric power"), "gas": _l("Gas"), "heating": _l("Heating"), "telecom": _l("Telecommunications"),
}
# A cell of the review: the party's word on the item, or none yet.
CELL_LABELS = {"approved": _l("Approved"), "returned": _l("Returned with comments"), "waiting": _l("Waiting")}

ALL_LABELS["speciality"] = SPECIALITY_LABELS
ALL_LABELS["review_cell"] = CELL_LABELS
