"""The request skeleton (participation/handlers.py): one commit per request, a rollback when the view raises, and
a refusal undone and shown on its form."""
import pytest
from flask import abort
from sqlalchemy import func, select
from wtforms import StringField

from participation import handlers
from participation.extensions import db
from participation.forms import EmptyForm
from participation.handlers import Refused, refuse_onto
from participation.models import Locality


def place(city: str) -> Locality:
    return Locality(province="测试省", city=city)


def districts() -> list[str]:
    """The cities of the localities the views added (the names say which view added them)."""
    return list(db.session.scalars(select(Locality.city).where(Locality.province == "测试省")))


@pytest.fixture
def routes(app):
    """Three throwaway views on a copy of the real wrapping, so the app's own URL map stays as it was."""
    def adds_and_returns():
        db.session.add(place("返回区"))
        return "ok"

    def adds_and_aborts():
        db.session.add(place("中止区"))
        db.session.flush()
        abort(409)

    def adds_and_fails():
        db.session.add(place("故障区"))
        db.session.flush()
        raise RuntimeError("a bug in the view")

    return {name: handlers.committing(view) for name, view in
            [("returns", adds_and_returns), ("aborts", adds_and_aborts), ("fails", adds_and_fails)]}


def test_a_view_that_returns_is_committed(app, routes):
    with app.test_request_context("/"):
        assert routes["returns"]() == "ok"
        db.session.remove()       # a new session sees only what was committed
        assert districts() == ["返回区"]


@pytest.mark.parametrize("name, error", [("aborts", Exception), ("fails", RuntimeError)])
def test_a_view_that_raises_leaves_nothing_behind(app, routes, name, error):
    with app.test_request_context("/"):
        with pytest.raises(error):
            routes[name]()
        assert districts() == []  # the same session: what the view flushed was rolled back, not just left pending
        db.session.remove()


def test_every_endpoint_but_static_files_runs_in_one_committed_request(app):
    unwrapped = [endpoint for endpoint, view in app.view_functions.items()
                 if endpoint != "static" and not getattr(view, "__wrapped_by_handlers__", False)]
    assert unwrapped == []
    assert len(app.view_functions) > 100


def test_a_refusal_is_undone_and_shown_beside_its_field(app):
    class NameForm(EmptyForm):
        name = StringField("name")

    with app.test_request_context("/", method="POST"):
        form = NameForm(meta={"csrf": False})
        db.session.add(place("半途区"))
        db.session.flush()
        refuse_onto(form, Refused({"name": "名称已被使用。", "": "未保存。"}))
        assert form.name.errors == ["名称已被使用。"]
        assert form.form_errors == ["未保存。"]
        assert db.session.scalar(select(func.count()).select_from(Locality)) == 0
        db.session.remove()


def test_a_refusal_reads_as_its_messages():
    refusal = Refused("请填写原因。", field="reason")
    assert refusal.errors == {"reason": "请填写原因。"}
    assert refusal.message == "请填写原因。" and isinstance(refusal, ValueError)
