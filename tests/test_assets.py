"""Static files go out gzipped like the pages (participation.assets): a resident's phone fetches app.css and the
scripts at a third of their size, while a client that asks for no compression, a conditional request and a file
that is not text get what they always got."""
import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_css_and_scripts_are_gzipped_when_the_browser_accepts_it(client):
    for name in ("css/app.css", "js/readaloud.js", "js/survey.js"):
        on_disk = (ROOT / "static" / name).read_bytes()
        response = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip", name
        assert gzip.decompress(response.data) == on_disk
        assert int(response.headers["Content-Length"]) == len(response.data) < len(on_disk) / 2
        assert "Accept-Encoding" in response.headers.get("Vary", "")


def test_without_accept_encoding_the_file_goes_as_it_is(client):
    response = client.get("/static/css/app.css")
    assert "Content-Encoding" not in response.headers
    assert response.data == (ROOT / "static/css/app.css").read_bytes()


def test_a_conditional_request_still_gets_304(client):
    first = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    again = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip",
                                                       "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_missing_static_file_is_a_plain_404(client):
    assert client.get("/static/css/none.css", headers={"Accept-Encoding": "gzip"}).status_code == 404
