"""What the field survey pages (``fieldsurvey.views`` and ``fieldsurvey.sheet_views``) share: their one blueprint,
"fieldsurvey" (so every endpoint keeps its name), and how they load and authorize the community."""
from flask import Blueprint, abort
from flask_login import current_user

from participation.permissions import can_record_field_survey, can_view_field_survey, uses_field_survey
from participation.roster.communities import community_by_code

bp = Blueprint("fieldsurvey", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Endpoints whose request body is a spreadsheet rather than a photo: a body over the limit is named as a file.
FILE_ENDPOINTS = frozenset({"fieldsurvey.import_findings"})


def survey_community(community_code: str, *, record: bool = False):
    """Load the community and authorize: 403 for roles without the field survey, 404 outside scope."""
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    if not uses_field_survey(current_user):
        abort(403)
    if not can_view_field_survey(current_user, community):
        abort(404)
    if record and not can_record_field_survey(current_user, community):
        abort(403)
    return community
