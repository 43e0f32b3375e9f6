"""Joint acceptance (竣工联合验收) of finished works: records, sign-offs and the owners' acceptance vote."""
