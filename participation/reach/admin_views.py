"""Admins' pages of delivery: failures and retries, each message's log, the SMS settings and the SMS counts per community and month (issue 16)."""
from flask import Blueprint

bp = Blueprint("reach_admin", __name__)
