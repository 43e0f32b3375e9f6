"""企业微信 group robots of staff groups: listed, added, changed, switched off, tested (issue 16, point 3).

Admins reach every robot from /admin/robots (the communities' they see and the organisations'); organisers reach
their communities' robots from the community page (/c/<code>/robots). Other roles get 403; another community's
robot, or an organisation's robot for an organiser, answers 404.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.accounts.queries import organisations_by_name
from participation.extensions import db
from participation.forms import EmptyForm
from participation.guards import staff_community
from participation.handlers import refuse_onto, withdraw
from participation.models import Community, Organisation, WecomRobot
from participation.permissions import COMMUNITY_MANAGERS, role_required, visible_communities
from participation.reach.channels.wecom import masked
from participation.reach.kinds import KINDS
from participation.reach.robot_forms import RobotForm
from participation.reach.robots import (RobotRefused, add_robot, can_manage_robot, change_robot, community_robots,
                                        group_name, manageable_robots, send_test, set_active)

bp = Blueprint("robots", __name__)


def _robot(robot_id: int) -> WecomRobot:
    robot = db.session.get(WecomRobot, robot_id)
    if robot is None or not can_manage_robot(current_user, robot):
        abort(404)
    return robot


def _back(robot: WecomRobot):
    """The list a robot's page returns to: its community's robots, or the admins' list for an organisation's."""
    if robot.community is not None:
        return redirect(url_for(".community", community_code=robot.community.code, _anchor=f"robot-{robot.id}"))
    return redirect(url_for(".index", _anchor=f"robot-{robot.id}"))


def _list(robots, community: Community | None):
    return render_template("reach/robots.html", robots=robots, community=community, masked=masked,
                           group_name=group_name, kinds=KINDS, button=EmptyForm())


def _form_page(form: RobotForm, *, robot=None, community=None, admin_new=False, status=200):
    return render_template("reach/robot_form.html", form=form, robot=robot, community=community,
                           admin_new=admin_new, masked=masked, group_name=group_name), status


def _new_form() -> RobotForm:
    form = RobotForm()
    if not form.is_submitted():
        form.kinds.data = [choice.value for choice in form.kinds.choices]  # a subscription: all, until unticked
        form.active.data = True
    return form


@bp.get("/admin/robots")
@role_required("admin")
def index():
    return _list(manageable_robots(current_user), None)


@bp.route("/admin/robots/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    form = _new_form()
    communities = list(db.session.scalars(visible_communities(current_user)))
    form.group.choices = ([SelectChoice("", _("Choose…"))]
                          + [SelectChoice(f"c{c.id}", f"{c.code} {c.name}", optgroup=_("Communities"))
                             for c in communities]
                          + [SelectChoice(f"o{o.id}", o.name, optgroup=_("Organisations"))
                             for o in organisations_by_name()])
    if form.validate_on_submit():
        community, organisation = _group(form.group.data or "", {c.id: c for c in communities})
        try:
            robot = add_robot(current_user, name=form.name.data, webhook_url=form.webhook_url.data,
                              kinds=form.kinds.data, active=form.active.data, community=community,
                              organisation=organisation)
        except RobotRefused as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Robot %(name)s saved.", name=robot.name), "success")
            return _back(robot)
    return _form_page(form, admin_new=True, status=400 if form.is_submitted() else 200)


def _group(value: str, communities: dict) -> tuple[Community | None, Organisation | None]:
    """The chosen group, from "c<id>" or "o<id>"; anything else (or a community out of scope) is no group."""
    if value[1:].isdigit():
        if value[0] == "c":
            return communities.get(int(value[1:])), None
        if value[0] == "o":
            return None, db.session.get(Organisation, int(value[1:]))
    return None, None


@bp.get("/c/<community_code>/robots")
@role_required()
def community(community_code: str):
    place = staff_community(community_code, roles=COMMUNITY_MANAGERS, manage=True)
    return _list(community_robots(place), place)


@bp.route("/c/<community_code>/robots/new", methods=["GET", "POST"])
@role_required()
def new_for_community(community_code: str):
    place = staff_community(community_code, roles=COMMUNITY_MANAGERS, manage=True)
    form = _new_form()
    if form.validate_on_submit():
        try:
            robot = add_robot(current_user, name=form.name.data, webhook_url=form.webhook_url.data,
                              kinds=form.kinds.data, active=form.active.data, community=place)
        except RobotRefused as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Robot %(name)s saved.", name=robot.name), "success")
            return _back(robot)
    return _form_page(form, community=place, status=400 if form.is_submitted() else 200)


@bp.route("/robots/<int:robot_id>/edit", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def edit(robot_id: int):
    robot = _robot(robot_id)
    form = RobotForm()
    if not form.is_submitted():
        form.name.data, form.kinds.data, form.active.data = robot.name, list(robot.kinds or []), robot.active
    if form.validate_on_submit():
        try:
            change_robot(current_user, robot, name=form.name.data, webhook_url=form.webhook_url.data,
                         kinds=form.kinds.data, active=form.active.data)
        except RobotRefused as refusal:
            refuse_onto(form, refusal)
            robot = _robot(robot_id)            # reloaded: the rollback expired it
        else:
            flash(_("Robot %(name)s saved.", name=robot.name), "success")
            return _back(robot)
    return _form_page(form, robot=robot, community=robot.community,
                      status=400 if form.is_submitted() else 200)


@bp.post("/robots/<int:robot_id>/switch")
@role_required(*COMMUNITY_MANAGERS)
def switch(robot_id: int):
    robot = _robot(robot_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    set_active(current_user, robot, not robot.active)
    flash(_("Robot %(name)s is on: its group gets messages again.", name=robot.name) if robot.active
          else _("Robot %(name)s is off: its group gets no more messages.", name=robot.name), "success")
    return _back(robot)


@bp.post("/robots/<int:robot_id>/test")
@role_required(*COMMUNITY_MANAGERS)
def test(robot_id: int):
    robot = _robot(robot_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        send_test(current_user, robot)
    except RobotRefused as refusal:
        flash(withdraw(refusal).message, "error")
        robot = _robot(robot_id)
    else:
        flash(_("Test message queued for %(name)s: the group should see it within a minute.", name=robot.name),
              "success")
    return _back(robot)
