"""The permission decision of every URL rule, for every actor: what ``tests/permissions/test_matrix.py`` expects.

One row per rule of ``app.url_map`` (static aside). A view added without a row here fails the build, so every new
page gets a permission decision. Each row says, per HTTP method, what each actor gets when the URL is filled with
objects of community A (their own scope): a status code, ``Redirect(path)``, or ``Acts(outcome, audit_action)`` for
a POST whose empty form is itself the complete action (a button) and which an allowed role therefore performs.

The cross-scope tests (community B, building 2) derive their expectation from a row: 404 where the actor is allowed
on A, and 403 where the role may never use the page — unless ``cross`` says otherwise for a role.

A rule whose answer depends on the state of its object (a survey that is a draft, closed or a template) has one row
here for its main case and more in ``VARIANTS``, which every test runs like the rows of ``CASES``.
"""
from dataclasses import dataclass, field

ADMIN, ORGANISER, OWNER_REP, GRID, HOTLINE, AGENCY, PIPELINE = (
    "admin", "organiser", "owner_rep", "grid", "hotline", "agency", "agency_pipeline")
ANONYMOUS, RESIDENT = "anonymous", "resident"
STAFF = (ADMIN, ORGANISER, OWNER_REP, GRID, HOTLINE, AGENCY, PIPELINE)
ACTORS = STAFF + (ANONYMOUS, RESIDENT)

# URL parameter → the world's key for the object that fills it (tests/permissions/test_matrix.py ``World``).
DEFAULT_PARAMS = {
    "community_code": "community", "household_id": "household", "unit_id": "unit", "building_id": "building",
    "item_code": "item", "code": "catalogue_item", "locality_id": "locality", "rule_id": "rule", "user_id": "user",
    "organisation_id": "organisation",
    # surveys: the draft of A that the builder edits, and its page, question and choice
    "survey_id": "survey", "section_id": "section", "question_id": "question", "choice_id": "choice",
    "number": "plan_version",   # a plan version's number within the community's plan
    "receipt": "ticket",        # a complaint ticket of the community
}
# The parameters whose object belongs to a community (or, for admins, a district or locality): out of scope → 404.
SCOPED_PARAMS = {"community_code", "household_id", "unit_id", "building_id", "user_id", "locality_id", "rule_id",
                 "survey_id", "receipt"}


@dataclass(frozen=True)
class Redirect:
    path: str


@dataclass(frozen=True)
class Acts:
    """An allowed role's POST that performs the action: ``outcome`` and one new audit row ``action``."""
    outcome: object
    action: str


LOGIN = Redirect("/login")
HOME = Redirect("/")


def roles(allowed, ok=200, *, others=403, outsiders=LOGIN) -> dict:
    """``ok`` for the staff roles in ``allowed``, ``others`` for the rest of the staff, ``outsiders`` for anonymous
    visitors and residents (who have no staff account)."""
    table = {actor: ok if actor in allowed else others for actor in STAFF}
    table.update({ANONYMOUS: outsiders, RESIDENT: outsiders})
    return table


def everyone(outcome) -> dict:
    return {actor: outcome for actor in ACTORS}


@dataclass(frozen=True)
class Case:
    get: dict | None = None
    post: dict | None = None
    params: dict = field(default_factory=dict)   # URL parameter → world key, overriding DEFAULT_PARAMS
    query: str = ""                               # appended to GET URLs; {name} takes a world key
    data: dict = field(default_factory=dict)      # POST field → world key
    cross: dict = field(default_factory=dict)     # role → expected status on another community's objects
    public: bool = False                          # the same for everyone in any community: no scope check


ADMINS = (ADMIN,)
MANAGERS = (ADMIN, ORGANISER)                                   # can_manage_community
ROSTER_READERS = (ADMIN, ORGANISER, OWNER_REP, GRID, HOTLINE)  # agencies never see households
ASSISTERS = (ORGANISER, GRID, HOTLINE)                          # can_act_for_household
PHONE_REVEALERS = (ADMIN, ORGANISER, GRID, HOTLINE)
FIELD_SURVEY_READERS = (ADMIN, ORGANISER, OWNER_REP, GRID, PIPELINE)
FIELD_SURVEY_RECORDERS = (ADMIN, ORGANISER, PIPELINE)
SLIP_USERS = (ADMIN, ORGANISER, GRID)
# Roles that read the field survey but may not record answer 403 on A's item form, and 404 on B's: the scope check
# comes first there. Likewise grid workers on slips, which they may open but not issue. Neither reveals anything; the
# cross tests pin the order down.
READER_SCOPE_FIRST = {OWNER_REP: 404, GRID: 404}
GRID_SCOPE_FIRST = {GRID: 404}
# Surveys (surveys/views/*): the builder's readers and editors, results for those who see households, files of every
# household's answers for those who run the community.
SURVEY_READERS = (ADMIN, ORGANISER, OWNER_REP)
RESULT_READERS = ROSTER_READERS
# The answering pages serve the household this browser acts for: the resident's session (or staff in assisted mode,
# see test_staff_acting_for_the_household_answer_as_it_does). Staff acting for nobody, and visitors, go to the start
# page with a message, in any community; the resident meets only its own community's surveys.
NOBODY_ACTING = HOME
ANSWER_CROSS = {actor: NOBODY_ACTING for actor in STAFF} | {RESIDENT: 404}


def answering(resident, *, others=NOBODY_ACTING) -> dict:
    return roles((), others=others, outsiders=others) | {RESIDENT: resident}


ADMIN_PAGE = roles(ADMINS)
ADMIN_FORM_POST = roles(ADMINS, 400)
STAFF_STATUS = roles(STAFF)

CASES: dict[str, Case] = {
    # --- public and display switches ---
    "/": Case(get=roles(STAFF, Redirect("/staff"), outsiders=200)),
    "/login": Case(get=roles(STAFF, Redirect("/staff"), outsiders=200),
                   post=roles(STAFF, Redirect("/staff"), outsiders=400)),
    "/display/language": Case(post=everyone(HOME)),
    "/display/large-text": Case(post=everyone(HOME)),
    # The entry page is public by design (the slip's QR opens it); the household code is what is private.
    "/r/<community_code>": Case(get=everyone(200), post=everyone(400), public=True),
    # Entry by phone and SMS code (participation/entry/phone_views.py): public like the slip's entry beside it;
    # without a number asked for in this browser, the code and choice pages send the visitor back to ask for one.
    "/r/<community_code>/phone": Case(get=everyone(200), post=everyone(400), public=True),
    "/r/<community_code>/phone/code": Case(get=everyone(Redirect("/r/{community}/phone")),
                                           post=everyone(Redirect("/r/{community}/phone")), public=True),
    "/r/<community_code>/phone/choose": Case(get=everyone(Redirect("/r/{community}/phone")),
                                             post=everyone(Redirect("/r/{community}/phone")), public=True),
    # 我的消息 (participation/reach/inbox_views.py): the household's own messages and its SMS setting; staff acting
    # for nobody and visitors go to the start page; another community's page is 404 for the resident. "Mark all as
    # read" needs the newest id the page showed (upto), so a bare POST is 400 and changes nothing.
    "/r/<community_code>/messages": Case(get=answering(200), cross=ANSWER_CROSS),
    "/r/<community_code>/messages/read": Case(post=answering(400), cross=ANSWER_CROSS),
    "/r/<community_code>/messages/sms": Case(post=answering(400), cross=ANSWER_CROSS),
    # a staff member's own messages (the 工作台's "未读消息" line links here); organisers also see their groups' robots
    "/messages": Case(get=STAFF_STATUS),
    "/messages/read": Case(post=roles(STAFF, 400)),
    # --- the resident's pages: only a household's own session (staff without an assisted household go home) ---
    "/home": Case(get=roles((), others=HOME, outsiders=HOME) | {RESIDENT: 200}),
    # the progress page of the plan in force (participation/plans/progress_views.py): the household's community only
    "/r/<community_code>/progress": Case(get=answering(200), cross=ANSWER_CROSS),
    "/home/notice": Case(get=roles((), others=HOME, outsiders=HOME) | {RESIDENT: 200},
                         post=roles((), others=HOME, outsiders=HOME) | {RESIDENT: Redirect("/home")}),
    # Asked only when a slip of another household was given in this browser; with nothing to ask, on to the page.
    "/home/switch": Case(get=everyone(HOME) | {RESIDENT: Redirect("/home")},
                         post=everyone(HOME) | {RESIDENT: Redirect("/home")}),
    # --- any staff ---
    "/staff": Case(get=STAFF_STATUS),
    "/account/password": Case(get=STAFF_STATUS, post=roles(STAFF, 400)),
    # --- administration ---
    "/admin/": Case(get=ADMIN_PAGE),
    "/admin/audit": Case(get=ADMIN_PAGE),
    "/admin/audit.csv": Case(get=ADMIN_PAGE),
    "/admin/audit/archive.jsonl": Case(get=ADMIN_PAGE),
    "/admin/catalogue": Case(get=ADMIN_PAGE),
    "/admin/catalogue.json": Case(get=ADMIN_PAGE),
    "/admin/catalogue/new": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/catalogue/<code>/edit": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/catalogue/<code>/retire": Case(
        post=roles(ADMINS, Acts(Redirect("/admin/catalogue"), "catalogue_item.retire"))),
    "/admin/catalogue/<code>/restore": Case(
        post=roles(ADMINS, Acts(Redirect("/admin/catalogue"), "catalogue_item.restore")),
        params={"code": "retired_item"}),
    "/admin/localities/<int:locality_id>/rules": Case(get=ADMIN_PAGE),
    "/admin/localities/<int:locality_id>/rules/new": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/localities/<int:locality_id>/year": Case(get=ADMIN_PAGE, query="?year=2023"),
    "/admin/rules/<int:rule_id>/edit": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/rules/<int:rule_id>/delete": Case(
        post=roles(ADMINS, Acts(Redirect("/admin/localities/{locality}/rules"), "locality_rule.delete")),
        params={"rule_id": "spare_rule"}),
    "/admin/users": Case(get=ADMIN_PAGE),
    "/admin/users/new": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/users/<int:user_id>/edit": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/users/<int:user_id>/password": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/users/<int:user_id>/deactivate": Case(
        post=roles(ADMINS, Acts(Redirect("/admin/users"), "user.deactivate"))),
    "/admin/users/<int:user_id>/reactivate": Case(
        post=roles(ADMINS, Acts(Redirect("/admin/users"), "user.reactivate")), params={"user_id": "inactive_user"}),
    "/admin/organisations": Case(get=ADMIN_PAGE),
    "/admin/organisations/new": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/organisations/<int:organisation_id>/edit": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    # The contractor of A is in use: deleting it is refused with a message and changes nothing.
    "/admin/organisations/<int:organisation_id>/delete": Case(post=roles(ADMINS, Redirect("/admin/organisations"))),
    # --- staff-assisted mode ---
    "/assist/": Case(get=roles(ASSISTERS), query="?community={community}&building=1"),
    "/assist/households/<int:household_id>": Case(get=roles(ASSISTERS), post=roles(ASSISTERS, 400)),
    "/assist/stop": Case(post=roles(ASSISTERS, Redirect("/assist/"))),
    "/assist/follow-up": Case(get=roles(ASSISTERS), query="?community={community}"),   # the staff to-do's visits
    # --- roster ---
    "/roster/": Case(get=roles(ROSTER_READERS)),
    "/roster/import": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/roster/template.xlsx": Case(get=roles(MANAGERS)),
    "/roster/<community_code>/export.xlsx": Case(get=roles((ADMIN, ORGANISER, OWNER_REP))),
    "/c/<community_code>/households": Case(get=roles(ROSTER_READERS)),
    "/c/<community_code>/edit": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/c/<community_code>/phone": Case(
        post=roles(PHONE_REVEALERS, Acts(Redirect("/c/{community}/households"), "household.phone_reveal")),
        data={"household_id": "household"}),
    # --- the community page (the lifecycle hub): every staff role in scope; moving the stage: those who run it ---
    "/c/<community_code>": Case(get=STAFF_STATUS),
    "/c/<community_code>/stage": Case(post=roles(MANAGERS, 400)),
    # --- field survey ---
    "/c/<community_code>/field-survey": Case(get=roles(FIELD_SURVEY_READERS)),
    "/c/<community_code>/field-survey.xlsx": Case(get=roles(FIELD_SURVEY_READERS)),
    "/c/<community_code>/field-survey/<item_code>": Case(
        get=roles(FIELD_SURVEY_RECORDERS), post=roles(FIELD_SURVEY_RECORDERS, 400), cross=READER_SCOPE_FIRST),
    "/c/<community_code>/field-survey/<item_code>/photo": Case(get=roles(FIELD_SURVEY_READERS)),
    # --- field findings in Excel (participation/fieldsurvey/sheet_views.py): those who record findings ---
    "/c/<community_code>/field-survey/template.xlsx": Case(get=roles(FIELD_SURVEY_RECORDERS), cross=READER_SCOPE_FIRST),
    "/c/<community_code>/field-survey/import": Case(
        get=roles(FIELD_SURVEY_RECORDERS), post=roles(FIELD_SURVEY_RECORDERS, 400), cross=READER_SCOPE_FIRST),
    # --- slips and posters ---
    "/slips/": Case(get=roles(SLIP_USERS)),
    "/slips/<community_code>": Case(get=roles(SLIP_USERS)),
    "/slips/<community_code>/units/<int:unit_id>": Case(
        get=roles(MANAGERS), post=roles(MANAGERS, Acts(200, "household_code.issue")), cross=GRID_SCOPE_FIRST),
    "/slips/<community_code>/households/<int:household_id>/regenerate": Case(
        get=roles(MANAGERS), post=roles(MANAGERS, Acts(200, "household_code.regenerate")), cross=GRID_SCOPE_FIRST),
    "/slips/<community_code>/buildings/<int:building_id>/poster": Case(get=roles(SLIP_USERS)),
    # --- survey builder (surveys/views/builder.py, builder_questions.py): representatives read, managers edit ---
    "/c/<community_code>/surveys": Case(get=roles(SURVEY_READERS)),
    # An empty form keeps the radio default "needs" and would create a survey: send an invalid choice instead.
    "/c/<community_code>/surveys/new": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400),
                                            data={"kind": "nonsense"}),
    "/surveys/templates": Case(get=roles(MANAGERS)),
    "/surveys/templates/new": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST, data={"kind": "nonsense"}),
    "/surveys/<int:survey_id>": Case(get=roles(SURVEY_READERS)),
    "/surveys/<int:survey_id>/preview": Case(get=roles(SURVEY_READERS)),
    "/surveys/<int:survey_id>/paper": Case(get=roles(SURVEY_READERS), params={"survey_id": "open_survey"},
                                           query="?unit={unit}"),
    "/surveys/<int:survey_id>/settings": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/items": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/copy": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    # before /close below: POSTs run in this order and /close closes the same survey, which then sends no reminder
    "/surveys/<int:survey_id>/remind": Case(
        post=roles(MANAGERS, Acts(Redirect("/surveys/{open_survey}/follow-up"), "survey.remind")),
        params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/open": Case(
        post=roles(MANAGERS, Acts(Redirect("/surveys/{draft_to_open}"), "survey.open")),
        params={"survey_id": "draft_to_open"}),
    "/surveys/<int:survey_id>/close": Case(
        post=roles(MANAGERS, Acts(Redirect("/surveys/{open_survey}"), "survey.close")),
        params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/delete": Case(
        post=roles(MANAGERS, Acts(Redirect("/c/{community}/surveys"), "survey.delete")),
        params={"survey_id": "empty_draft"}),
    "/surveys/<int:survey_id>/sections/new": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/sections/<int:section_id>": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/sections/<int:section_id>/delete": Case(
        post=roles(MANAGERS, Acts(Redirect("/surveys/{survey}"), "survey.section_delete")),
        params={"section_id": "spare_section"}),
    # A move without its direction is refused: 400, nothing moved.
    "/surveys/<int:survey_id>/sections/<int:section_id>/move": Case(post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/questions/new": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/questions/<int:question_id>": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/questions/<int:question_id>/delete": Case(
        post=roles(MANAGERS, Acts(Redirect("/surveys/{survey}"), "survey.question_delete")),
        params={"question_id": "spare_question"}),
    "/surveys/<int:survey_id>/questions/<int:question_id>/move": Case(post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/questions/<int:question_id>/choices": Case(post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/choices/<int:choice_id>": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/choices/<int:choice_id>/delete": Case(
        post=roles(MANAGERS, Acts(Redirect("/surveys/{survey}"), "survey.choice_delete")),
        params={"choice_id": "spare_choice"}),
    "/surveys/<int:survey_id>/choices/<int:choice_id>/move": Case(post=roles(MANAGERS, 400)),
    # --- XLSForm (surveys/views/xlsform.py) and paper or ODK answers (surveys/views/response_import.py) ---
    "/c/<community_code>/surveys/import-xlsform": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/surveys/<int:survey_id>/xlsform.xlsx": Case(get=roles(MANAGERS)),
    "/surveys/<int:survey_id>/responses/import": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400),
                                                      params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/responses/template.xlsx": Case(get=roles(MANAGERS),
                                                             params={"survey_id": "open_survey"}),
    # --- results (surveys/views/results.py): agencies never; files of every household for those who run it ---
    "/surveys/<int:survey_id>/results": Case(get=roles(RESULT_READERS), params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/follow-up": Case(get=roles(RESULT_READERS), params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/responses.csv": Case(get=roles(MANAGERS), params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/responses.xlsx": Case(get=roles(MANAGERS), params={"survey_id": "open_survey"}),
    "/surveys/<int:survey_id>/responses-long.csv": Case(get=roles(MANAGERS), params={"survey_id": "open_survey"}),
    # --- answering (surveys/views/answer.py): the open survey the resident's household submitted ---
    # An empty submission misses the required answer: 400, nothing saved.
    "/s/<int:survey_id>": Case(get=answering(200), post=answering(400), params={"survey_id": "open_survey"},
                               cross=ANSWER_CROSS),
    "/s/<int:survey_id>/receipt": Case(get=answering(200), params={"survey_id": "open_survey"}, cross=ANSWER_CROSS),
    # The household's own photo answer; nobody else's browser gets it.
    "/s/<int:survey_id>/photo/<name>": Case(get=answering(200, others=404),
                                            params={"survey_id": "open_survey", "name": "photo_name"},
                                            cross={RESIDENT: 404}),
    # Residents' view of the results (surveys/views/resident_results.py): aggregates of a closed survey whose
    # organisers chose to show them after close (the model's default).
    "/s/<int:survey_id>/results": Case(get=answering(200), params={"survey_id": "closed_survey"},
                                       cross=ANSWER_CROSS),
    # --- ending a session: run after every other POST ---
    # Staff signing out ends every session of their account (issue 12.13): a users row and an audit row change.
    "/logout": Case(post=roles(STAFF, Acts(HOME, "logout"), outsiders=HOME)),
    "/home/leave": Case(post=everyone(HOME)),
}

LAST_POSTS = ("/logout", "/home/leave")

# The same rule with an object in another state: name → (rule, Case). The template has no community, so its rows
# are ``public`` (the same template in every scope).
VARIANTS: dict[str, tuple[str, Case]] = {
    "a closed survey reads, its answers no longer change": ("/s/<int:survey_id>", Case(
        get=answering(200), post=answering(Redirect("/s/{closed_survey}")), params={"survey_id": "closed_survey"},
        cross=ANSWER_CROSS)),
    "a draft is not there for households": ("/s/<int:survey_id>", Case(
        get=answering(404), post=answering(404), cross=ANSWER_CROSS)),
    "no results for households while the survey is open": ("/s/<int:survey_id>/results", Case(
        get=answering(404), params={"survey_id": "open_survey"}, cross=ANSWER_CROSS)),
    "a template is not there for households": ("/s/<int:survey_id>", Case(
        get=answering(404), params={"survey_id": "template"}, public=True)),
    "templates: organisers read them": ("/surveys/<int:survey_id>", Case(
        get=roles(MANAGERS), params={"survey_id": "template"}, public=True)),
    "templates: only admins edit them": ("/surveys/<int:survey_id>/settings", Case(
        get=ADMIN_PAGE, post=ADMIN_FORM_POST, params={"survey_id": "template"}, public=True)),
    "templates: organisers copy them": ("/surveys/<int:survey_id>/copy", Case(
        get=roles(MANAGERS), post=roles(MANAGERS, 400), params={"survey_id": "template"}, public=True)),
    "templates: their XLSForm": ("/surveys/<int:survey_id>/xlsform.xlsx", Case(
        get=roles(MANAGERS), params={"survey_id": "template"}, public=True)),
    "templates: no paper version": ("/surveys/<int:survey_id>/paper", Case(
        get=roles(MANAGERS, 404), params={"survey_id": "template"}, public=True)),
    "templates: no results": ("/surveys/<int:survey_id>/results", Case(
        get=roles(RESULT_READERS, 404), params={"survey_id": "template"}, public=True)),
    "templates: no answers to import": ("/surveys/<int:survey_id>/responses/import", Case(
        get=roles(MANAGERS, 404), params={"survey_id": "template"}, public=True)),
}


# Each feature's rows live in a file of its own, merged here (the files import the helpers above).
from tests.permissions.cases_acceptance import CASES as ACCEPTANCE_CASES  # noqa: E402
from tests.permissions.cases_aftercare import CASES as AFTERCARE_CASES  # noqa: E402
from tests.permissions.cases_api import CASES as API_CASES  # noqa: E402
from tests.permissions.cases_bulletin import CASES as BULLETIN_CASES  # noqa: E402
from tests.permissions.cases_city import CASES as CITY_CASES  # noqa: E402
from tests.permissions.cases_complaint_dashboard import CASES as COMPLAINT_DASHBOARD_CASES  # noqa: E402
from tests.permissions.cases_complaints import CASES as COMPLAINT_CASES  # noqa: E402
from tests.permissions.cases_dashboards import CASES as DASHBOARD_CASES  # noqa: E402
from tests.permissions.cases_elevators import CASES as ELEVATOR_CASES  # noqa: E402
from tests.permissions.cases_holidays import CASES as HOLIDAY_CASES  # noqa: E402
from tests.permissions.cases_jointreview import CASES as JOINT_REVIEW_CASES  # noqa: E402
from tests.permissions.cases_hotline import CASES as HOTLINE_CASES  # noqa: E402
from tests.permissions.cases_open311 import CASES as OPEN311_CASES  # noqa: E402
from tests.permissions.cases_patrols import CASES as PATROL_CASES  # noqa: E402
from tests.permissions.cases_plan_comments import CASES as PLAN_COMMENT_CASES  # noqa: E402
from tests.permissions.cases_plans import CASES as PLAN_CASES  # noqa: E402
from tests.permissions.cases_reach_admin import CASES as REACH_ADMIN_CASES  # noqa: E402
from tests.permissions.cases_robots import CASES as ROBOT_CASES  # noqa: E402
from tests.permissions.cases_votes import CASES as VOTE_CASES  # noqa: E402
from tests.permissions.cases_work_photos import CASES as WORK_PHOTO_CASES  # noqa: E402

for _cases in (PLAN_CASES, DASHBOARD_CASES, CITY_CASES, COMPLAINT_CASES, HOTLINE_CASES, OPEN311_CASES,
               BULLETIN_CASES, COMPLAINT_DASHBOARD_CASES, PATROL_CASES, HOLIDAY_CASES, ACCEPTANCE_CASES,
               PLAN_COMMENT_CASES, ELEVATOR_CASES, VOTE_CASES, AFTERCARE_CASES, API_CASES, JOINT_REVIEW_CASES,
               WORK_PHOTO_CASES, REACH_ADMIN_CASES, ROBOT_CASES):
    overlap = set(CASES) & set(_cases)
    assert not overlap, f"permission rows defined twice: {sorted(overlap)}"
    CASES.update(_cases)
