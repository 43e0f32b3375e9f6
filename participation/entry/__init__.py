"""Residents at the door: household codes, the acting household, staff-assisted mode and the processing notice."""
