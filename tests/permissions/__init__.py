"""The permission matrix: every URL rule × every actor, its decisions (``cases``), world and helper (``matrix``)."""
