"""The staff results pages: who may open them (403 per role, 404 out of scope), what they show, the CSP (no inline
scripts or styles; charts travel as JSON data blocks) and the vendored plotly.js."""
import json
import re
from pathlib import Path

import plotly
import pytest
from plotly.offline import get_plotlyjs_version

from participation.extensions import db
from tests.surveys.results_support import build_world

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"


def _vendored_plotly_js() -> tuple[str, str]:
    """The vendored bundle's file name and the version its own header states (not the name, which a hand could
    change without replacing the file)."""
    (path,) = VENDOR.glob("plotly-basic-*.min.js")
    header = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", path.read_text(encoding="utf-8")[:300])
    assert header, f"{path.name} does not start with plotly.js's header"
    return path.name, header.group(1)


PLOTLY, PLOTLY_JS_VERSION = _vendored_plotly_js()


def _url(results_world, page="results"):
    return f"/surveys/{results_world.survey.id}/{page}"


def _chart(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script type="application/json" id="{chart_id}-data" class="chart-data">(.*?)</script>',
                      html, re.S)
    assert match, f"no data block for {chart_id}"
    return json.loads(match.group(1))


def test_organiser_sees_participation_items_and_charts(client, login_as, results_world):
    login_as("organiser", results_world.community)
    response = client.get(_url(results_world))
    assert response.status_code == 200
    html = response.text
    assert "参与情况" in html and "改造项目" in html
    assert "32</strong> / 44" in html          # answered / households not vacant
    assert "72.7%" in html                      # 32 / 44
    figure = _chart(html, "chart-need_B01")
    need = [v["need_B01"] for v in results_world.values.values()]
    assert figure["data"][0]["x"] == [need.count("need"), need.count("neutral"), need.count("no")]
    assert figure["data"][0]["y"] == ["需要", "无所谓", "不需要"]
    assert figure["data"][0]["orientation"] == "h"
    assert figure["config"]["displayModeBar"] is False
    buildings = _chart(html, "chart-participation")
    assert buildings["data"][0]["y"] == ["1号楼", "2号楼", "3号楼"]
    assert _chart(html, "chart-items")["data"][0]["y"][0].startswith("B01")


def test_page_obeys_the_csp(client, login_as, results_world):
    login_as("organiser", results_world.community)
    response = client.get(_url(results_world))
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    for body in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        json.loads(body)
        assert "<" not in body
    assert "style=" not in html
    assert f'src="/static/vendor/{PLOTLY}"' in html
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in html


def test_plotly_loads_only_on_the_results_pages(client, login_as, results_world):
    login_as("organiser", results_world.community)
    assert "plotly" not in client.get("/staff").text
    assert "plotly" not in client.get(_url(results_world, "follow-up")).text


def test_vendored_plotly_matches_python_plotly_and_is_served(client):
    assert PLOTLY == f"plotly-basic-{PLOTLY_JS_VERSION}.min.js"
    assert PLOTLY_JS_VERSION == get_plotlyjs_version(), (
        f"static/vendor holds plotly.js {PLOTLY_JS_VERSION}, but plotly {plotly.__version__} builds figures for "
        f"plotly.js {get_plotlyjs_version()}: pin plotly in pyproject.toml to the release built against the vendored "
        "bundle (or vendor the new release's bundle in the same commit), then run make lock")
    notes = (VENDOR / "VERSIONS.md").read_text(encoding="utf-8")
    assert PLOTLY in notes and "MIT" in notes and f"`plotly` ({plotly.__version__})" in notes
    response = client.get(f"/static/vendor/{PLOTLY}")
    assert response.status_code == 200
    assert f"v{PLOTLY_JS_VERSION}" in response.get_data(as_text=True)[:200]
    response.close()
    script = client.get("/static/js/charts.js")
    assert script.status_code == 200 and b"Plotly.newPlot" in script.data
    script.close()


def test_confidential_survey_shows_suppressed_cells(client, login_as, reference_data):
    results_world = build_world(confidential=True)
    db.session.commit()
    login_as("organiser", results_world.community)
    html = client.get(_url(results_world)).text
    assert "&lt;5" in html
    assert "下载" not in html   # no per-household downloads
    figure = _chart(html, "chart-need_U01")
    assert figure["data"][0]["x"][0] is None and figure["data"][0]["text"][0] == "<5"


@pytest.mark.parametrize("role", ["admin", "organiser", "owner_rep", "grid", "hotline"])
def test_roles_that_see_households_may_open_results_and_follow_up(client, login_as, results_world, role):
    login_as(role, results_world.community)
    assert client.get(_url(results_world)).status_code == 200
    assert client.get(_url(results_world, "follow-up")).status_code == 200


def test_agencies_get_403_and_visitors_go_to_login(client, login_as, results_world):
    assert client.get(_url(results_world)).status_code == 302
    login_as("agency", results_world.community)
    assert client.get(_url(results_world)).status_code == 403
    assert client.get(_url(results_world, "follow-up")).status_code == 403
    assert client.get(_url(results_world, "responses.csv")).status_code == 403


def test_other_community_and_missing_survey_answer_404(client, login_as, results_world, reference_data):
    other = build_world("R002")
    db.session.commit()
    login_as("organiser", other.community)
    assert client.get(_url(results_world)).status_code == 404
    assert client.get(_url(results_world, "follow-up")).status_code == 404
    assert client.get(_url(results_world, "responses.xlsx")).status_code == 404
    assert client.get("/surveys/999999/results").status_code == 404


def test_grid_worker_sees_own_buildings_rows_and_follow_up(client, login_as, results_world):
    login_as("grid", results_world.community)   # scoped to building 1
    html = client.get(_url(results_world)).text
    assert "1号楼" in html and "2号楼</th>" not in html
    follow = client.get(_url(results_world, "follow-up")).text
    assert "1号楼" in follow and "2号楼" not in follow
    assert "****" in follow
    assert not re.search(r"139\d{8}", follow)   # no full phone number anywhere


def test_follow_up_lists_households_not_submitted(client, login_as, results_world):
    login_as("organiser", results_world.community)
    html = client.get(_url(results_world, "follow-up")).text
    missing = [h for h in results_world.households if h.id not in results_world.values and h.occupancy != "vacant"]
    assert f"{len(missing)} 户" in html or str(len(missing)) in html
    assert html.count('<td class="followup-note">') == len(missing)
    assert "尚未作答" in html
