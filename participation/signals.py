"""Signals other packages listen to, so participation never imports them (surveys keeps its tallies of answers by
registered area; participation only says when areas changed)."""
from blinker import Namespace

_signals = Namespace()

# Sent inside the transaction that changed them, with ``community_ids``: households' registered areas changed
# (a roster import corrected them). Receivers update what they derived from the old areas before the commit.
household_areas_changed = _signals.signal("household-areas-changed")
