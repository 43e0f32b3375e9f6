"""Blueprints, in the order they are registered: the one place that imports views modules (an import contract in
pyproject.toml holds everyone else to it). A feature whose pages fill two views modules defines its blueprint in a
small non-view module both use; the second module is imported below for the routes it adds."""
from participation.acceptance.views import bp as acceptance_bp
from participation.accounts import audit_views  # noqa: F401  (the audit log pages, on the "admin" blueprint)
from participation.accounts.sign_in_views import bp as auth_bp
from participation.accounts.views import bp as accounts_bp
from participation.aftercare.views import bp as aftercare_bp
from participation.api.open311_views import bp as open311_bp
from participation.api.views import admin_bp as api_tokens_bp, bp as api_bp
from participation.complaints.bulletin_views import bp as bulletin_bp
from participation.complaints.resident_views import bp as complaints_bp
from participation.complaints.views import bp as hotline_bp
from participation.dashboards.city_views import bp as city_bp
from participation.dashboards.home_views import bp as main_bp
from participation.dashboards.views import bp as dashboards_bp
from participation.elevators.views import bp as elevators_bp
from participation.entry.assisted_views import bp as assisted_bp
from participation.entry.phone_views import bp as phone_entry_bp
from participation.entry.views import bp as resident_bp
from participation.fieldsurvey import sheet_views  # noqa: F401  (the field survey in Excel, on "fieldsurvey")
from participation.fieldsurvey.views import bp as fieldsurvey_bp
from participation.jointreview import party_views  # noqa: F401  (the reviewing parties page, on the "admin" blueprint)
from participation.jointreview.views import bp as jointreview_bp
from participation.lifecycle.views import bp as lifecycle_bp
from participation.plans.comment_views import bp as plan_comments_bp
from participation.plans.progress_views import bp as progress_bp
from participation.plans.views import bp as plans_bp
from participation.plans.work_photo_views import bp as work_photos_bp
from participation.plans.works_sheet_views import bp as works_sheet_bp
from participation.reach.admin_views import bp as reach_admin_bp
from participation.reach.inbox_views import bp as inbox_bp
from participation.reach.robot_views import bp as robots_bp
from participation.reference.holiday_views import bp as holidays_bp
from participation.reference.views import bp as admin_bp
from participation.roster.slip_views import bp as slips_bp
from participation.roster.views import bp as roster_bp
from participation.votes import paper_views  # noqa: F401  (paper ballots and the register, on the "votes" blueprint)
from participation.votes.resident_views import bp as resident_votes_bp
from participation.votes.views import bp as votes_bp

BLUEPRINTS = [main_bp, auth_bp, fieldsurvey_bp, resident_bp, slips_bp, assisted_bp, admin_bp, accounts_bp, roster_bp,
              plans_bp, dashboards_bp, city_bp, complaints_bp, hotline_bp, open311_bp, bulletin_bp, holidays_bp,
              plan_comments_bp, acceptance_bp, elevators_bp, votes_bp, resident_votes_bp, aftercare_bp,
              api_bp, api_tokens_bp, jointreview_bp, lifecycle_bp, progress_bp, works_sheet_bp,
              work_photos_bp, inbox_bp, reach_admin_bp, robots_bp, phone_entry_bp]

