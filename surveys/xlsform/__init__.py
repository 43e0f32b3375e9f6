"""XLSForm import and export."""
