"""企业微信 group robots of staff groups: who may manage which, adding, changing, switching off, and a test message
(issue 16, point 3).

A robot belongs to one community (its organisers' and grid workers' group) or one organisation (a contractor's or
department's crew) and takes the staff message kinds its group asked for (``kinds.ROBOT_KINDS``). Admins manage
every robot they see; organisers the robots of the communities they manage. The webhook URL is checked against
``WECOM_ALLOWED_HOSTS`` when it is saved, so a bad URL is said at once in words and never stored; it is written to
the audit trail masked, as every page shows it. Operations flush and never commit.
"""
from flask_babel import gettext as _
from sqlalchemy import or_, select

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.models import Community, Notification, Organisation, User, WecomRobot
from participation.permissions import can_manage_community, visible_communities
from participation.reach.channels.wecom import allowed_hosts, masked, url_problem
from participation.reach.kinds import ROBOT_KINDS
from participation.reach.outbox import to_robot

TEST_KIND = "robot.test"     # no event writes it and no group subscribes to it (kinds.py: staff, in-app label only)
MAX_NAME = 60
MAX_URL = 500


class RobotRefused(Refused):
    """A robot's details refused: the messages name the form's fields."""


# --- who may manage which -----------------------------------------------------------------------------------------

def can_manage_robot(user: User, robot: WecomRobot) -> bool:
    """A community's robot: whoever manages the community; an organisation's robot: admins (organisations are
    the city's, not a community's)."""
    if robot.community is not None:
        return can_manage_community(user, robot.community)
    return user.role == "admin"


def manageable_robots(user: User) -> list[WecomRobot]:
    """The robots ``user`` may manage, the communities' by code, then the organisations' by name."""
    if user.role not in ("admin", "organiser"):
        return []
    mine = select(visible_communities(user).subquery().c.id)
    groups = [WecomRobot.community_id.in_(mine)]
    if user.role == "admin":
        groups.append(WecomRobot.organisation_id.is_not(None))
    query = (select(WecomRobot).outerjoin(Community, Community.id == WecomRobot.community_id)
             .outerjoin(Organisation, Organisation.id == WecomRobot.organisation_id)
             .where(or_(*groups)).order_by(Community.code, Organisation.name, WecomRobot.name, WecomRobot.id))
    return list(db.session.scalars(query))


def community_robots(community: Community) -> list[WecomRobot]:
    return list(db.session.scalars(select(WecomRobot).where(WecomRobot.community_id == community.id)
                                   .order_by(WecomRobot.name, WecomRobot.id)))


def group_name(robot: WecomRobot) -> str:
    """The staff group a robot posts into, as lists name it."""
    if robot.community is not None:
        return f"{robot.community.code} {robot.community.name}"
    return robot.organisation.name if robot.organisation is not None else "—"


# --- changes ------------------------------------------------------------------------------------------------------

def add_robot(actor: User, *, name: str, webhook_url: str, kinds, active: bool = True,
              community: Community | None = None, organisation: Organisation | None = None) -> WecomRobot:
    """A new robot of ``community`` or of ``organisation`` (exactly one of them)."""
    if (community is None) == (organisation is None):
        raise RobotRefused({"group": _("Choose the community or the organisation whose group the robot is in.")})
    name, webhook_url, kinds = _checked(name, webhook_url, kinds, url_required=True)
    robot = WecomRobot(name=name, webhook_url=webhook_url, kinds=kinds, active=bool(active),
                       community_id=getattr(community, "id", None), organisation_id=getattr(organisation, "id", None))
    db.session.add(robot)
    db.session.flush()
    record(actor, "wecom_robot.create", robot, community=community, name=name, webhook=masked(webhook_url),
           kinds=kinds, active=robot.active, organisation_id=getattr(organisation, "id", None))
    return robot


def change_robot(actor: User, robot: WecomRobot, *, name: str, webhook_url: str | None, kinds,
                 active: bool) -> dict:
    """Save the robot's details; an empty ``webhook_url`` keeps the current one (pages never show it whole).
    Returns what changed, as the audit row records it (the webhook masked)."""
    name, new_url, kinds = _checked(name, webhook_url, kinds, url_required=False)
    before = {"name": robot.name, "webhook": masked(robot.webhook_url), "kinds": list(robot.kinds or []),
              "active": robot.active}
    url_changed = bool(new_url) and new_url != robot.webhook_url
    robot.name, robot.kinds, robot.active = name, kinds, bool(active)
    if url_changed:
        robot.webhook_url = new_url
    db.session.flush()
    after = {"name": robot.name, "webhook": masked(robot.webhook_url), "kinds": list(robot.kinds),
             "active": robot.active}
    changes = {field: [before[field], after[field]] for field in before if before[field] != after[field]}
    if url_changed and "webhook" not in changes:       # a new key with the same last four characters
        changes["webhook"] = [before["webhook"], after["webhook"]]
    if changes:
        record(actor, "wecom_robot.update", robot, community=robot.community_id, changes=changes)
    return changes


def set_active(actor: User, robot: WecomRobot, active: bool) -> None:
    """Switch the robot off (its group gets nothing more; deliveries still waiting are skipped) or on again."""
    if robot.active == bool(active):
        return
    robot.active = bool(active)
    db.session.flush()
    record(actor, "wecom_robot.enable" if active else "wecom_robot.disable", robot, community=robot.community_id)


def send_test(actor: User, robot: WecomRobot) -> Notification:
    """A test message to the robot's group, through the outbox like every other message: the worker posts it, and
    its delivery shows the staff member whether the group got it."""
    if not robot.active:
        raise RobotRefused(_("The robot is switched off: switch it on before sending a test message."))
    text = _("Test message from 民呼我应 to the robot “%(name)s”: if this group sees it, the robot is set up "
             "correctly. Sent by %(who)s.", name=robot.name, who=actor.display_name or actor.username)
    message = to_robot(robot, TEST_KIND, text)
    db.session.flush()
    record(actor, "wecom_robot.test", robot, community=robot.community_id, notification_id=message.id)
    return message


def _checked(name: str, webhook_url: str | None, kinds, *, url_required: bool) -> tuple[str, str, list[str]]:
    """The details cleaned, or every problem at once (``RobotRefused``)."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the robot a name, e.g. the name of its group.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name is too long: at most %(n)d characters.", n=MAX_NAME)
    webhook_url = (webhook_url or "").strip()
    if webhook_url or url_required:
        message = _url_message(webhook_url)
        if message:
            errors["webhook_url"] = message
    chosen = [kind for kind in ROBOT_KINDS if kind in set(kinds or ())]
    if len(chosen) != len(set(kinds or ())):
        errors["kinds"] = _("Choose among the kinds of message listed.")
    elif not chosen:
        errors["kinds"] = _("Choose at least one kind of message for the group.")
    if errors:
        raise RobotRefused(errors)
    return name, webhook_url, chosen


def _url_message(webhook_url: str) -> str | None:
    """What is wrong with a typed webhook URL, in the reader's words."""
    if not webhook_url:
        return _("Paste the robot's webhook address (群机器人 → 复制 Webhook 地址).")
    if len(webhook_url) > MAX_URL:
        return _("The webhook address is too long: at most %(n)d characters.", n=MAX_URL)
    problem = url_problem(webhook_url)
    if problem is None:
        return None
    if problem.startswith("host "):
        return _("This is not a 企业微信 robot address: its host must be one of %(hosts)s.",
                 hosts=_allowed_words())
    if problem.startswith("no key"):
        return _("The address has no key=…: copy the robot's whole webhook address.")
    return _("This is not a web address: copy the robot's whole webhook address, starting with https://.")


def _allowed_words() -> str:
    return "、".join(sorted(allowed_hosts()))
