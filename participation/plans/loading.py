"""Loading what a plan page shows, as every plan page answers: the community (403 for a role that never reads plans,
404 outside the user's scope) and a version of its plan (404 when there is none by that number). Shared by the
plan pages (participation.plans.views) and the comment pages (participation.plans.comment_views).
"""
from flask import abort

from participation.guards import staff_community
from participation.permissions import COMMUNITY_MANAGERS, can_view_survey_results
from participation.plans.operations import plan_for, version_by_number


def plan_community(community_code: str, *, manage: bool = False):
    """Those who read the plan see it (the route's decorator names their roles); managing it needs more."""
    return staff_community(community_code, roles=COMMUNITY_MANAGERS if manage else None, manage=manage,
                           visible=can_view_survey_results)


def plan_version(community, number: int):
    version = version_by_number(plan_for(community), number)
    if version is None:
        abort(404)
    return version
