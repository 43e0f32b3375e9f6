"""Joint review (联合共审, 同步计划) of an adopted plan version: the locality's departments and pipeline companies sign
off per item, pipeline companies record their own works, and overlapping works on one place are flagged."""
