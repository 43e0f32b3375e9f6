"""The survey endpoints of the staff JSON API (/api/v1, issue 7): here, with the survey engine, because
participation never imports surveys; auth, errors and the OpenAPI document are participation.api's.

The summary is what the staff results page (surveys/views/results.py) shows: ``participation`` and
``survey_results``, with small cells suppressed the same way (``must_suppress`` inside them).
"""
from flask import Blueprint, jsonify, request

from participation.api import ApiError, api_user, community_or_404, jsonable, token_required
from participation.extensions import csrf, db
from participation.permissions import HOUSEHOLD_READERS, can_view_survey_results
from surveys.builder.queries import surveys_of
from surveys.models import Survey
from surveys.results.summaries import must_suppress, participation, survey_results

bp = Blueprint("survey_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _survey(survey: Survey) -> dict:
    return {"id": survey.id, "title": survey.title, "status": survey.status, "confidential": survey.confidential,
            "opens_at": jsonable(survey.opens_at), "closes_at": jsonable(survey.closes_at)}


@bp.get("/communities/<code>/surveys")
@token_required(*HOUSEHOLD_READERS)
def surveys(code: str):
    """The community's surveys.
    ---
    get:
      summary: Surveys of the community
      tags: [surveys]
      parameters:
        - {name: code, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The surveys, newest first
          content:
            application/json:
              schema:
                type: object
                properties:
                  surveys: {type: array, items: {type: object}}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    community = community_or_404(code, HOUSEHOLD_READERS)
    return jsonify({"surveys": [_survey(survey) for survey in surveys_of(community)]})


@bp.get("/surveys/<int:survey_id>/summary")
@token_required(*HOUSEHOLD_READERS)
def summary(survey_id: int):
    """What the staff results page shows.
    ---
    get:
      summary: A survey's results (participation, per-question summaries, the item block)
      tags: [surveys]
      parameters:
        - {name: survey_id, in: path, required: true, schema: {type: integer}}
        - {name: lang, in: query, schema: {type: string, enum: [zh, en], default: zh}}
      responses:
        200:
          description: Aggregates only; cells under the suppression threshold are withheld
          content:
            application/json:
              schema: {$ref: '#/components/schemas/SurveySummary'}
        401: {$ref: '#/components/responses/Error'}
        403: {$ref: '#/components/responses/Error'}
        404: {$ref: '#/components/responses/Error'}
    """
    # Ids past the 32-bit key range are unknown ones (the database would refuse to compare them).
    survey = db.session.get(Survey, survey_id) if survey_id < 2**31 else None
    if survey is None or survey.community is None or not can_view_survey_results(api_user(), survey.community):
        raise ApiError(404)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    summaries, items = survey_results(survey, lang=lang)
    return jsonify(jsonable({"survey": _survey(survey), "community": survey.community.code,
                             "suppressed": must_suppress(survey),
                             "participation": participation(survey, api_user()),
                             "questions": summaries, "items": items}))
