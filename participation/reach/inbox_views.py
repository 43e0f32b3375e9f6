"""In-app messages: a resident's 我的消息 and a staff member's messages (issue 16, point 3)."""
from flask import Blueprint

bp = Blueprint("inbox", __name__)
