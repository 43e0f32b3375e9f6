"""The field survey (调查摸底) of a community's buildings and facilities."""
