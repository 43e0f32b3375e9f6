"""Blueprints, in the order they are registered. Nothing outside this package imports a views module but ``app.py``;
the views share ``guards`` (loading a community or a household the same way on every page)."""
from participation.views.acceptance import bp as acceptance_bp
from participation.views.accounts import bp as accounts_bp
from participation.views.admin import bp as admin_bp
from participation.views.aftercare import bp as aftercare_bp
from participation.views.api import admin_bp as api_tokens_bp
from participation.views.api import bp as api_bp
from participation.views.assisted import bp as assisted_bp
from participation.views.auth import bp as auth_bp
from participation.views.bulletin import bp as bulletin_bp
from participation.views.city import bp as city_bp
from participation.views.complaints import bp as complaints_bp
from participation.views.dashboards import bp as dashboards_bp
from participation.views.elevators import bp as elevators_bp
from participation.views.fieldsurvey import bp as fieldsurvey_bp
from participation.views.holidays import bp as holidays_bp
from participation.views.hotline import bp as hotline_bp
from participation.views.main import bp as main_bp
from participation.views.open311 import bp as open311_bp
from participation.views.plan_comments import bp as plan_comments_bp
from participation.views.plans import bp as plans_bp
from participation.views.resident import bp as resident_bp
from participation.views.resident_votes import bp as resident_votes_bp
from participation.views.roster import bp as roster_bp
from participation.views.slips import bp as slips_bp
from participation.views.votes import bp as votes_bp

BLUEPRINTS = [main_bp, auth_bp, fieldsurvey_bp, resident_bp, slips_bp, assisted_bp, admin_bp, accounts_bp, roster_bp,
              plans_bp, dashboards_bp, city_bp, complaints_bp, hotline_bp, open311_bp, bulletin_bp, holidays_bp,
              plan_comments_bp, acceptance_bp, elevators_bp, votes_bp, resident_votes_bp, aftercare_bp,
              api_bp, api_tokens_bp]

