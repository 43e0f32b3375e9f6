"""Every model, re-exported so Alembic's autogenerate and the rest of the code see one namespace."""
from participation.models.access import CHANNELS, HouseholdActivity, HouseholdCode, Throttle
from participation.models.accounts import ROLES, User, user_buildings, user_communities
from participation.models.aftercare import AFTERCARE_MODES, AfterCareProposal  # noqa: F401
from participation.models.audit import AuditEvent
from participation.models.catalogue import CATEGORIES, QUANTITY_UNITS, CatalogueItem
from participation.models.complaints import (OPEN_STATES, TICKET_STATES, ComplaintCategory, Holiday,
                                             Open311Key, PatrolFinding, PatrolFindingEvent, Ticket, TicketEvent,
                                             TicketPhoto)
from participation.models.elevators import ELEVATOR_STATUSES, ElevatorRequest, ElevatorShaftOwner  # noqa: F401
from participation.models.fieldsurvey import CONDITIONS, FieldFinding
from participation.models.locality import RULE_KINDS, RULE_UNITS, Locality, LocalityRule
from participation.models.plan_comments import COMMENT_MAX, STANCES, PlanComment, PlanCommentPeriod  # noqa: F401
from participation.models.plans import (FUNDING_LINES, SUGGESTIONS, VERSION_STATUSES, WORK_STATUSES, CommunityBudget,
                                        Plan, PlanItem, PlanVersion, PlanWork)
from participation.models.roster import (COMMUNITY_STATUSES, OCCUPANCIES, ORGANISATION_KINDS, Building, Community,
                                         District, Household, Organisation, Unit)
from participation.models.votes import (BALLOT_CHANNELS, BALLOT_CHOICES, VOTE_STATUSES, Ballot,  # noqa: F401
                                        BallotChange, OwnerVerification, Vote, VoteObjection, vote_buildings,
                                        vote_items)

__all__ = [
    "AuditEvent", "Building", "CATEGORIES", "CHANNELS", "COMMUNITY_STATUSES", "CONDITIONS", "CatalogueItem",
    "Community", "CommunityBudget", "ComplaintCategory", "District", "FUNDING_LINES", "Holiday", "Notification",
    "OPEN_STATES", "Open311Key", "PatrolFinding", "PatrolFindingEvent", "TICKET_STATES", "Ticket", "TicketEvent", "TicketPhoto", "FieldFinding", "Household", "HouseholdActivity", "HouseholdCode", "Locality",
    "LocalityRule", "OCCUPANCIES", "ORGANISATION_KINDS", "Organisation", "Plan", "PlanItem", "PlanVersion", "PlanWork",
    "QUANTITY_UNITS", "ROLES", "RULE_KINDS", "RULE_UNITS", "SUGGESTIONS", "Throttle", "Unit", "User",
    "VERSION_STATUSES", "WORK_STATUSES", "user_buildings", "user_communities",
]
from participation.models.acceptance import (AcceptanceRating, AcceptanceRecord,  # noqa: E402, F401
                                             AcceptanceRecordSubject, RatingResponse)
from participation.models.api import ApiToken  # noqa: E402, F401
from participation.models.open311_intake import Open311Report  # noqa: E402, F401
from participation.models.votes import VoteRegisterCorrection, VoteRegisterEntry  # noqa: E402, F401
from participation.models.jointreview import (SIGNOFF_DECISIONS, SPECIALITIES, JointReview,  # noqa: E402, F401
                                              JointReviewParty, PipelineWork, ReviewParty, ReviewSignoff)
from participation.models.lifecycle import GATES, STAGES, GateOverride  # noqa: E402, F401
from participation.models.reach import (CHANNELS as DELIVERY_CHANNELS, Delivery, DeliveryAttempt,  # noqa: E402, F401
                                        EntryCode, Notification, SmsConsent, SmsSettings, WecomRobot)
