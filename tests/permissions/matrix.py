"""What the permission matrix needs around its table: signing each actor in, filling a rule's URL with the world's
objects, and ``Matrix``, which sends the requests and collects every answer that differs from the decision.

A ``Matrix`` fails its ``check`` when no request was sent at all, so a filter of rules that matches nothing fails
instead of passing.
"""
import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent
from tests.conftest import PASSWORD, csrf_token
from tests.permissions.cases import (ADMIN, AGENCY, ANONYMOUS, DEFAULT_PARAMS, GRID, HOTLINE, ORGANISER, OWNER_REP,
                                     PIPELINE, RESIDENT, STAFF, Acts, Redirect)

PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Scoped to community A (or its building 1), or to the other district; each maps to the row of its role.
CROSS_ACTORS = {ORGANISER: ORGANISER, OWNER_REP: OWNER_REP, GRID: GRID, AGENCY: AGENCY, PIPELINE: PIPELINE,
                "district2_admin": ADMIN, "district2_organiser": ORGANISER, "district2_hotline": HOTLINE}


# --- signing in, requests, outcomes ---------------------------------------------------------------------------------

def sign_in(app, world, actor: str):
    """A fresh client for ``actor``, signed in once (staff), entered with the household code (resident), or not."""
    client = app.test_client()
    if actor == RESIDENT:
        page = client.get(f"/r/{world.scopes['A']['community']}")
        response = client.post(f"/r/{world.scopes['A']['community']}",
                               data={"code": world.resident_code, "csrf_token": csrf_token(page.text)})
        assert response.status_code == 302 and response.location.endswith("/home")
    elif actor != ANONYMOUS:
        page = client.get("/login")
        response = client.post("/login", data={"username": world.users[actor], "password": PASSWORD,
                                               "csrf_token": csrf_token(page.text)})
        assert response.status_code == 302, f"{actor} could not sign in"
    return client


def form_token(client, actor: str) -> str:
    """A CSRF token of this client's session, from a page with a form that the actor may open."""
    return csrf_token(client.get("/account/password" if actor in STAFF or actor in CROSS_ACTORS else "/login").text)


def fill(rule: str, case, values: dict) -> str:
    mapping = DEFAULT_PARAMS | case.params
    return PARAM.sub(lambda match: str(values[mapping[match.group(1)]]), rule)


def describe(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code} → {urlsplit(response.location).path}"
    return str(response.status_code)


def matches(expected, response, values: dict) -> bool:
    if isinstance(expected, Acts):
        expected = expected.outcome
    if isinstance(expected, Redirect):
        return response.status_code == 302 and urlsplit(response.location).path == expected.path.format(**values)
    return response.status_code == expected


def snapshot() -> dict:
    """Every row of every table but the throttle counters (which a refused guess may legitimately touch)."""
    return {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables if table.name != "throttles"}


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


class Matrix:
    """Requests for one actor, with every mismatch collected as a readable line."""

    def __init__(self, client, who: str, values: dict):
        self.client, self.who, self.values, self.failures = client, who, values, []
        self.requests = 0   # a check after no request at all proves nothing, so it fails
        self._rows = None   # the database after the last POST, while no GET came in between

    def get(self, rule: str, case, expected) -> None:
        url = fill(rule, case, self.values) + case.query.format(**self.values)
        self._rows = None
        response = self.client.get(url)
        self._compare("GET", url, expected, response)
        response.close()   # send_file responses hold the file open until closed

    def post(self, rule: str, case, expected, token: str) -> None:
        url = fill(rule, case, self.values)
        data = {"csrf_token": token} | {name: self.values[key] for name, key in case.data.items()}
        before = self._rows if self._rows is not None else snapshot()
        audits = audit_count(expected.action) if isinstance(expected, Acts) else None
        response = self.client.post(url, data=data)
        self._compare("POST", url, expected, response)
        self._rows = snapshot()
        if isinstance(expected, Acts):
            if response.status_code < 400 and audit_count(expected.action) != audits + 1:
                self.failures.append(f"{self.who} POST {url}: no {expected.action} audit row")
        else:
            changed = sorted(name for name in before if before[name] != self._rows[name])
            if changed:
                self.failures.append(f"{self.who} POST {url} ({describe(response)}) changed {', '.join(changed)}")
        response.close()

    def _compare(self, method: str, url: str, expected, response) -> None:
        self.requests += 1
        if response.status_code >= 500 or not matches(expected, response, self.values):
            shown = expected.outcome if isinstance(expected, Acts) else expected
            self.failures.append(f"{self.who} {method} {url}: expected {shown}, got {describe(response)}")

    def check(self) -> None:
        """Every request answered as decided — and there was at least one: a filter that matched no rule fails."""
        assert self.requests, f"{self.who}: no rule was requested (the filter of rules matched none)"
        assert not self.failures, "\n" + "\n".join(self.failures)
