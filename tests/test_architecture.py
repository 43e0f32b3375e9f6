"""The layout rules of DESIGN §7 that import-linter cannot see (its contracts live in pyproject.toml and run in
``make test``): every views module is named in the contract that protects views, modules stay small, views neither
build queries nor commit, and imports sit at the top of their module unless they break a documented cycle or load a heavy optional library only
where it is used (a ``# lazy:`` comment says why: an SMS provider's SDK costs every process ~1.5 s)."""
import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("participation", "surveys")
MAX_LINES = 400
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def modules() -> list[Path]:
    found = [ROOT / "app.py"]
    for package in PACKAGES:
        found += sorted((ROOT / package).rglob("*.py"))
    return found


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def declares_routes(module: ast.Module) -> bool:
    """Route decorators on a blueprint's functions, or ``add_url_rule`` calls."""
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_url_rule":
            return True
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in ROUTE_DECORATORS:
                    return True
    return False


def view_modules() -> set[str]:
    return {dotted(path) for path in modules() if path.name != "__init__.py" and declares_routes(tree(path))}


def contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_every_views_module_is_protected_by_the_import_contract():
    """A new views module must be added to the contract, or another module could import it unnoticed."""
    protected = next(c for c in contracts() if c["type"] == "protected")
    assert view_modules() == set(protected["protected_modules"])
    assert all(name.rsplit(".", 1)[-1].endswith("views") or ".views." in name for name in view_modules())


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def imports_inside_functions(path: Path) -> list[int]:
    """Line numbers of imports inside a function body that carry no ``# cycle:`` or ``# lazy:`` comment saying why."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) and not any(
                        mark in lines[inner.lineno - 1] for mark in ("# cycle:", "# lazy:")):
                    found.append(inner.lineno)
    return sorted(set(found))


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_imports_sit_at_the_top_unless_they_break_a_documented_cycle(path):
    assert imports_inside_functions(path) == []


def session_calls(module: ast.Module, names: set[str]) -> list[int]:
    return [node.lineno for node in ast.walk(module)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session"]


def query_builders(module: ast.Module) -> list[int]:
    """``select(...)`` and friends, or ``Model.query``: a query put together in the view itself."""
    built = []
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {
                "select", "update", "delete", "insert", "exists"}:
            built.append(node.lineno)
        if isinstance(node, ast.Attribute) and node.attr == "query" and isinstance(node.value, ast.Name) \
                and node.value.id[:1].isupper():
            built.append(node.lineno)
    return built


@pytest.mark.parametrize("name", sorted(view_modules()))
def test_views_neither_commit_nor_build_queries(name):
    """The request commits once (participation/handlers.py); queries are named functions in queries modules."""
    module = tree(ROOT / (name.replace(".", "/") + ".py"))
    assert session_calls(module, {"commit", "rollback"}) == []
    assert query_builders(module) == []


def test_the_checks_above_can_fail(tmp_path):
    """Each detector finds what it looks for, so an empty list above means the rule holds."""
    sample = tmp_path / "sample_views.py"
    sample.write_text(
        "from flask import Blueprint\n"
        "bp = Blueprint('x', __name__)\n"
        "@bp.post('/x')\n"
        "def x():\n"
        "    from participation.models import User\n"
        "    from participation.models import Plan  # cycle: plans ↔ models, because …\n"
        "    db.session.scalars(select(User))\n"
        "    User.query.all()\n"
        "    db.session.commit()\n"
        "    import heavy_sdk  # lazy: costs every process a second\n", encoding="utf-8")
    registered = tmp_path / "registered_views.py"
    registered.write_text("bp.add_url_rule('/y', view_func=y)\n", encoding="utf-8")
    module = tree(sample)
    assert declares_routes(module) and declares_routes(tree(registered))
    assert not declares_routes(tree(ROOT / "participation" / "handlers.py"))
    assert imports_inside_functions(sample) == [5]
    assert session_calls(module, {"commit", "rollback"}) == [9]
    assert query_builders(module) == [7, 8]
