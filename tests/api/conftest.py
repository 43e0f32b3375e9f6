"""Fixtures of the /api/v1 tests: ``make_token(role, **scope)`` gives a live token (its service account scoped like
``make_user``'s), and ``call(client, method, url, token, json=None)`` sends it as a Bearer token."""
import pytest

from participation.api.tokens import create_token
from participation.extensions import db
from participation.models import Organisation


@pytest.fixture
def make_token(app):
    counter = {"n": 0}

    def make(role="organiser", *, organisation=None, **scope):
        counter["n"] += 1
        if role == "agency" and organisation is None:
            organisation = Organisation(name=f"接口单位{counter['n']}", kind="contractor")
            db.session.add(organisation)
        _row, token = create_token(None, f"{role}-{counter['n']}", role, organisation=organisation, **scope)
        db.session.commit()
        return token

    return make


def call(client, method, url, token=None, json=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(url, method=method, headers=headers, json=json)
