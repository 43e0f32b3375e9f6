"""Complaints (投诉): tickets and their deadlines, the hotline desk, agencies, patrols, photos, rates and the bulletin."""
