"""The staff JSON API at /api/v1 (issue 7, DESIGN §8) and its admin page /admin/api-tokens.

Every endpoint authorizes with the token's service account and reads through the operations the staff pages use,
with the pages' own role sets: out of scope → 404, wrong role → 403. Each view's docstring carries its OpenAPI
operation (YAML after ``---``), read by apispec into /api/v1/openapi.json (``participation.api.openapi``).
"""
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.api import (API_CHANNELS, ApiError, api_user, community_or_404, count_anonymous, json_body, jsonable,
                               page_args, token_required, tokens as api_tokens)
from participation.api.forms import ApiTokenForm, RevokeTokenForm
from participation.api.openapi import openapi_json
from participation.api.queries import roster_page
from participation.complaints.operations import ACTIONS, TicketRefused, act, agencies_of, file_ticket, may_act
from participation.complaints.queries import building_named, live_category, ticket_by_receipt, ticket_visible, timeline
from participation.extensions import csrf, db
from participation.handlers import withdraw
from participation.labels import label, mask_phone
from participation.models import ApiToken, Vote
from participation.permissions import (DECISION_READERS, HOUSEHOLD_READERS, TICKET_DESK, TICKET_READERS,
                                       can_view_community, role_required)
from participation.plans.export import plan_json
from participation.plans.figures import estimates_json, estimates_of
from participation.plans.inputs import plan_inputs
from participation.roster.communities import community_summaries
from participation.votes.operations import visible_tally

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
admin_bp = Blueprint("api_tokens", __name__)


def _community(summary: dict, estimates: dict) -> dict:
    community = summary["community"]
    return {"code": community.code, "name": community.name, "district": community.district.name,
            "status": community.status, "buildings": summary["buildings"], "units": summary["units"],
            "households": summary["households"], "estimates": estimates_json(estimates[community.id])}


@bp.get("/communities")
@token_required()
def communities():
    """The communities the token sees.
    ---
    get:
      summary: Communities in the token's scope
      tags: [communities]
      responses:
        200:
          description: Communities with their numbers of buildings, units and households
          content:
            application/json:
              schema:
                type: object
                properties:
                  communities: {type: array, items: {$ref: '#/components/schemas/Community'}}
        401: {$ref: '#/components/responses/Error'}
    """
    summaries = community_summaries(api_user())
    estimates = estimates_of([summary["community"].id for summary in summaries])
    return jsonify({"communities": [_community(summary, estimates) for summary in summaries]})


@bp.get("/communities/<code>")
@token_required()
def community(code: str):
    """One community.
    ---
    get:
      summary: One community with its counts
      tags: [communities]
      parameters:
        - {name: code, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The community
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Community'}
        401: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    found = community_or_404(code)
    summary = next(row for row in community_summaries(api_user()) if row["community"].id == found.id)
    return jsonify(_community(summary, estimates_of([found.id])))


@bp.get("/communities/<code>/households")
@token_required(*HOUSEHOLD_READERS)
def households(code: str):
    """The roster, a page at a time, phones masked.
    ---
    get:
      summary: Households of the community (the roster), phones masked
      tags: [communities]
      parameters:
        - {name: code, in: path, required: true, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer, minimum: 1, maximum: 100000, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, minimum: 1, maximum: 200, default: 50}}
      responses:
        200:
          description: One page of households
          content:
            application/json:
              schema:
                type: object
                properties:
                  page: {type: integer}
                  per_page: {type: integer}
                  total: {type: integer}
                  households: {type: array, items: {$ref: '#/components/schemas/Household'}}
        400: {$ref: '#/components/responses/Error'}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    found = community_or_404(code, HOUSEHOLD_READERS)
    page, per_page = page_args()
    total, rows = roster_page(api_user(), found, page, per_page)
    return jsonify({"page": page, "per_page": per_page, "total": total, "households": [
        {"id": household.id, "building": building.name, "unit": unit.name, "room": household.room,
         "floor": household.floor, "area": str(household.area), "occupancy": household.occupancy,
         "phone": mask_phone(household.phone)} for household, unit, building in rows]})


@bp.get("/communities/<code>/plan-inputs")
@token_required(*HOUSEHOLD_READERS)
def community_plan_inputs(code: str):
    """The plan inputs (一区一案), as ``flask plan export --format json`` gives them.
    ---
    get:
      summary: Plan inputs of the community (docs/plan-inputs.md)
      tags: [plans]
      parameters:
        - {name: code, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The plan inputs; shares are fractions, money in yuan; ``estimates`` holds the labelled
            investment figures (field_survey, version_in_force, after_votes)
          content:
            application/json:
              schema: {type: object, additionalProperties: true}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    return jsonify(plan_json(plan_inputs(community_or_404(code, HOUSEHOLD_READERS))))


# --- complaints ---------------------------------------------------------------------------------------------------

def _ticket(ticket) -> dict:
    user = api_user()
    return {"receipt": ticket.receipt, "community": ticket.community.code, "state": ticket.state,
            "state_label": label("ticket_state", ticket.state), "category": ticket.category.code,
            "urgency": ticket.urgency, "channel": ticket.channel, "description": ticket.description,
            "building": ticket.building.name if ticket.building else None, "place": ticket.place,
            "agency": ticket.agency.name if ticket.agency else None,
            "received_at": jsonable(ticket.received_at), "due_at": jsonable(ticket.due_at),
            "closed_at": jsonable(ticket.closed_at),
            "caller_phone": mask_phone(ticket.household.phone if ticket.household else ticket.caller_phone) or None,
            "actions": [name for name in ACTIONS if may_act(user, ticket, name)],
            "timeline": [{"action": event.action, "from": event.from_state, "to": event.to_state,
                          "note": event.note, "at": jsonable(event.at)} for event in timeline(ticket)]}


def _ticket_or_404(receipt: str):
    ticket = ticket_by_receipt(receipt)
    if ticket is None or not ticket_visible(api_user(), ticket):
        raise ApiError(404)
    return ticket


@bp.post("/complaints")
@token_required(*TICKET_DESK)
def complaints_create():
    """File a complaint as the desk does.
    ---
    post:
      summary: File a complaint (受理)
      tags: [complaints]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NewComplaint'}
      responses:
        201:
          description: The new ticket
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Complaint'}
        400: {$ref: '#/components/responses/Error'}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
        422: {$ref: '#/components/responses/Error'}
    """
    body = json_body(strings=("community", "category", "description", "urgency", "channel", "building", "place",
                              "caller_name", "caller_phone", "external_number"))
    found = community_or_404(body.get("community") or "", TICKET_DESK)
    category = live_category(found, str(body.get("category") or ""))
    if category is None:
        raise ApiError(422, _("Choose one of the options offered."))
    channel = str(body.get("channel") or "community_hotline")
    if channel not in API_CHANNELS:
        raise ApiError(422, _("Choose one of the options offered."))
    building = None
    if body.get("building"):
        building = building_named(found, [str(body["building"])])
        if building is None:
            raise ApiError(422, _("That building is not in this community."))
    try:
        ticket = file_ticket(api_user(), found, category=category, description=str(body.get("description") or ""),
                             urgency=str(body.get("urgency") or "normal"), channel=channel,
                             building=building, place=body.get("place"), caller_name=body.get("caller_name"),
                             caller_phone=body.get("caller_phone"), external_number=body.get("external_number"))
    except TicketRefused as refused:
        raise ApiError(422, str(refused)) from refused
    response = jsonify(_ticket(ticket))
    response.status_code = 201
    return response


@bp.get("/complaints/<receipt>")
@token_required(*TICKET_READERS)
def complaint(receipt: str):
    """One complaint with its timeline.
    ---
    get:
      summary: A complaint by its receipt
      tags: [complaints]
      parameters:
        - {name: receipt, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The ticket
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Complaint'}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    return jsonify(_ticket(_ticket_or_404(receipt)))


@bp.post("/complaints/<receipt>/actions")
@token_required(*TICKET_READERS)
def complaint_action(receipt: str):
    """Take a step on a complaint.
    ---
    post:
      summary: Take an action on a complaint (dispatch, sign, reply, complete…)
      tags: [complaints]
      parameters:
        - {name: receipt, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ComplaintAction'}
      responses:
        200:
          description: The ticket after the action
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Complaint'}
        400: {$ref: '#/components/responses/Error'}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
        409: {$ref: '#/components/responses/Error'}
        422: {$ref: '#/components/responses/Error'}
    """
    ticket = _ticket_or_404(receipt)
    body = json_body(strings=("action", "agency", "note", "satisfaction"), booleans=("solved",))
    action = body.get("action") or ""
    if action not in ACTIONS:
        raise ApiError(400, _("Choose one of the options offered."))
    if ACTIONS[action].by != ("agency" if api_user().role == "agency" else "desk"):
        raise ApiError(403)
    if not may_act(api_user(), ticket, action):
        raise ApiError(409, _("This ticket is %(state)s: it cannot be changed that way now.",
                              state=label("ticket_state", ticket.state)))
    agency = None
    if body.get("agency") is not None:
        agency = next((o for o in agencies_of(ticket.community) if o.name == body["agency"]), None)
        if agency is None:   # understood, but no agency of that name works in this community
            raise ApiError(422, _("Choose one of the options offered."))
    solved = {True: True, False: False, "yes": True, "no": False}.get(body.get("solved"))
    try:
        act(api_user(), ticket, action, agency=agency, note=body.get("note"), solved=solved,
            satisfaction=body.get("satisfaction"))
    except TicketRefused as refused:
        raise ApiError(409, str(refused)) from refused
    if not ticket_visible(api_user(), ticket):
        return jsonify({"receipt": ticket.receipt, "state": ticket.state})
    return jsonify(_ticket(ticket))


# --- votes ----------------------------------------------------------------------------------------------------------

@bp.get("/votes/<int:vote_id>/result")
@token_required(*DECISION_READERS)
def vote_result(vote_id: int):
    """The tally anyone may see now.
    ---
    get:
      summary: A vote's result (hidden tallies stay hidden until the vote closes)
      tags: [votes]
      parameters:
        - {name: vote_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The Art. 278 figures; areas as decimal strings in m²; "hidden" true while counts are hidden
          content:
            application/json:
              schema: {$ref: '#/components/schemas/VoteResult'}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    # Ids past the 32-bit key range are unknown ones (the database would refuse to compare them).
    vote = db.session.get(Vote, vote_id) if vote_id < 2**31 else None
    if vote is None or not can_view_community(api_user(), vote.community):
        raise ApiError(404)
    return jsonify({"id": vote.id, "community": vote.community.code, "title": vote.title, "status": vote.status,
                    **jsonable(visible_tally(vote, api_user()))})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API (no token needed).
    ---
    get:
      summary: This document
      tags: [meta]
      security: []
      responses:
        200:
          description: OpenAPI 3.0 document
          content:
            application/json:
              schema: {type: object}
    """
    count_anonymous()
    return Response(openapi_json(), mimetype="application/json")


# --- the admin page -------------------------------------------------------------------------------------------------

@admin_bp.route("/admin/api-tokens", methods=["GET", "POST"])
@role_required("admin")
def tokens():
    form, revoke = ApiTokenForm(), RevokeTokenForm()
    created, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                communities = api_tokens.communities_by_codes(form.communities.data.replace(",", " ").split())
                for found in communities:
                    if not can_view_community(current_user, found):
                        raise api_tokens.TokenError(_("There is no community with the code %(code)s.",
                                                      code=found.code))
                _row, created = api_tokens.create_token(current_user, form.name.data, form.role.data,
                                                        communities=communities,
                                                        district=None if communities else current_user.district)
            except api_tokens.TokenError as refused:
                flash(str(withdraw(refused)), "error")
                status = 400
        else:
            status = 400
    return render_template("admin/api_tokens.html", form=form, revoke=revoke, tokens=api_tokens.tokens(),
                           created=created), status, {"Cache-Control": "no-store"}


@admin_bp.post("/admin/api-tokens/<int:token_id>/revoke")
@role_required("admin")
def revoke_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None:
        abort(404)
    if not RevokeTokenForm().validate_on_submit():
        return redirect(url_for(".tokens"))
    api_tokens.revoke_token(current_user, row)
    flash(_("Token %(name)s revoked: requests with it are refused from now on.", name=row.name))
    return redirect(url_for(".tokens"))
