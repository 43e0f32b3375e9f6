"""Words shown for stored codes (roles, statuses, channels …), translatable and kept in one place."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"), "organiser": _l("Community organiser"), "owner_rep": _l("Owner representative"),
    "grid": _l("Grid worker / volunteer"), "hotline": _l("Hotline staff"), "agency": _l("Agency"),
}
STATUS_LABELS = {
    "reserve": _l("Reserve"), "annual_plan": _l("Annual plan"), "census": _l("Census and field survey"),
    "needs": _l("Needs survey"), "planning": _l("Drafting the plan"), "plan_notice": _l("Plan on public notice"),
    "owner_vote": _l("Owner vote"), "joint_review": _l("Joint review"), "works": _l("Works under way"),
    "acceptance": _l("Acceptance"), "aftercare": _l("After-care"),
}
OCCUPANCY_LABELS = {"owner_occupied": _l("Owner-occupied"), "rented": _l("Rented"), "vacant": _l("Vacant")}
CATEGORY_LABELS = {"basic": _l("Basic"), "improvement": _l("Improvement"), "upgrade": _l("Upgrade")}
CONDITION_LABELS = {
    "good": _l("Good"), "needs_repair": _l("Needs repair"), "missing": _l("Missing"), "not_applicable": _l("Not applicable"),
}
CHANNEL_LABELS = {
    "web": _l("Online, by the household"), "phone": _l("By phone, entered by staff"), "paper": _l("On paper, entered by staff"), "door_to_door": _l("Door to door, entered by staff"),
    "hotline": _l("Through the hotline"),
}
QUANTITY_UNIT_LABELS = {
    "per_m2_area": _l("Per m² of registered area"), "per_household": _l("Per household"), "per_unit": _l("Per unit (stairwell)"),
    "per_building": _l("Per building"), "lump_sum": _l("Once for the community"),
}
ORGANISATION_KIND_LABELS = {
    "contractor": _l("Contractor"), "supervisor": _l("Supervisor"), "property": _l("Property manager"), "pipeline": _l("Pipeline company"),
    "department": _l("Government department"),
}
HOTLINE_LABELS = {"quality": _l("Quality supervision hotline"), "supervisor": _l("Supervisor complaint line"), "community": _l("Community hotline")}
RULE_KIND_LABELS = {
    "category_slogan": _l("Category slogan"), "extra_category": _l("Extra local category"), "elevator_subsidy": _l("Elevator subsidy"),
    "elevator_cost_share": _l("Elevator cost share by floor"), "complaint_limit": _l("Complaint time limit"),
    "plan_threshold": _l("Plan rule threshold"), "programme_target": _l("City programme target"),
}
RULE_UNIT_LABELS = {
    "yuan": _l("yuan"), "coefficient": _l("coefficient"), "hours": _l("hours (calendar clock)"), "calendar_days": _l("calendar days"),
    "working_days": _l("working days"), "fraction": _l("fraction (0–1)"), "count": _l("count"),
}
# Plans (一区一案): funding lines, suggestions, versions, works, where a quantity comes from.
FUNDING_LABELS = {
    "central_subsidy": _l("Central subsidy"), "local_funds": _l("Local funds (incl. special bonds, policy loans)"),
    "pipeline_units": _l("Pipeline companies"), "original_owners": _l("Original property-right units"),
    "social_capital": _l("Social capital"), "residents_direct": _l("Residents (direct)"),
    "maintenance_fund": _l("Housing maintenance fund"), "housing_fund": _l("Housing provident fund"),
    "public_revenue": _l("Public revenue of the community"), "elevator_subsidy": _l("Elevator subsidy"),
}
SUGGESTION_LABELS = {
    "include": _l("Include"), "include_if_budget": _l("Include if the budget allows"),
    "needs_vote": _l("Needs an owner vote"), "reserve": _l("Reserve"), "exclude": _l("Exclude"),
}
VERSION_STATUS_LABELS = {"draft": _l("Draft"), "adopted": _l("Adopted"), "superseded": _l("Superseded")}
WORK_STATUS_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"), "finished": _l("Finished")}
QUANTITY_SOURCE_LABELS = {
    "field_survey": _l("Field survey"), "roster": _l("Roster"),
    "roster_elevator_units": _l("Roster: units that can take an elevator"),
}
# Complaints (接诉即办)
TICKET_STATE_LABELS = {
    "received": _l("Received"), "dispatched": _l("Dispatched"), "returned": _l("Returned by the agency"),
    "handling": _l("Being handled"), "replied": _l("Replied"), "completed": _l("Completed, awaiting call-back"),
    "closed": _l("Closed"), "duplicate": _l("Duplicate"), "rejected": _l("Rejected"),
}
URGENCY_LABELS = {"normal": _l("Normal"), "urgent": _l("Urgent"), "emergency": _l("Emergency")}
SATISFACTION_LABELS = {"satisfied": _l("Satisfied"), "basically_satisfied": _l("Basically satisfied"),
                       "dissatisfied": _l("Dissatisfied")}
# Patrol findings: rectification (整改) by the contractor, verified (核验) by the supervisor or an owner representative
FINDING_STATE_LABELS = {"open": _l("Not rectified"), "rectified": _l("Rectified, to be checked"),
                        "verified": _l("Verified")}
NOT_CONFIGURED = _l("Not configured")

ALL_LABELS = {
    "role": ROLE_LABELS, "status": STATUS_LABELS, "occupancy": OCCUPANCY_LABELS, "category": CATEGORY_LABELS,
    "condition": CONDITION_LABELS, "channel": CHANNEL_LABELS, "quantity_unit": QUANTITY_UNIT_LABELS,
    "organisation_kind": ORGANISATION_KIND_LABELS, "hotline": HOTLINE_LABELS, "rule_kind": RULE_KIND_LABELS,
    "rule_unit": RULE_UNIT_LABELS, "ticket_state": TICKET_STATE_LABELS, "urgency": URGENCY_LABELS,
    "satisfaction": SATISFACTION_LABELS, "finding_state": FINDING_STATE_LABELS,
}


def label(kind: str, code: str | None) -> str:
    """The word for a stored code; an unknown code is shown as it is rather than hidden."""
    if code is None:
        return ""
    return str(ALL_LABELS[kind].get(code, code))


def mask_phone(phone: str | None) -> str:
    """138****5678: keep the first three and last four digits of a mobile; other numbers keep the last four."""
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


# Joint acceptance (联合验收): the rule kind of the residents' rating pass rule, and a round's result.
RULE_KIND_LABELS["acceptance_pass"] = _l("Acceptance rating pass rule")
ACCEPTANCE_RESULT_LABELS = {"passed": _l("Passed"), "failed": _l("Failed")}
ALL_LABELS["acceptance_result"] = ACCEPTANCE_RESULT_LABELS

# Elevator consent votes and after-care (长效管理): the locality's stricter elevator rule, the management modes.
RULE_KIND_LABELS["elevator_consent"] = _l("Elevator consent vote rule")
AFTERCARE_MODE_LABELS = {
    "professional": _l("Professional property company (专业化物业服务)"),
    "quasi": _l("Basic services by the community (准物业)"),
    "self_managed": _l("Managed by the owners themselves (业主自治管理)"),
    "trusteeship": _l("Entrusted management (托管)"),
}
ALL_LABELS["aftercare_mode"] = AFTERCARE_MODE_LABELS
# The same words as the elevator and vote pages', for the plan page and the exports.
ALL_LABELS["elevator_status"] = {
    "started": _l("Started (一家牵头)"), "consultation": _l("Consultation (意愿征询)"), "vote": _l("Owners' vote"),
    "approved": _l("Approved"), "rejected": _l("Not approved"), "withdrawn": _l("Withdrawn"),
}
ALL_LABELS["vote_status"] = {
    "draft": _l("Draft"), "open": _l("Voting open"), "preliminary": _l("Preliminary result (objection period)"),
    "final": _l("Final result"), "cancelled": _l("Cancelled"),
}
