"""Permission rows of the Open311 GeoReport v2 API (merged into tests/permissions/cases.CASES).

Public by design, like /r/<community_code>: the same answer for everyone, signed in or not, in any community. The
GETs show no caller or household; POST needs an api_key, so the matrix's form (no key) gets 403 from everyone and
changes nothing. The service code and request id are filled with a catalogue item's code, which is neither a
service nor a request: 404 for everyone (tests/participation/test_open311.py covers the 200s).
"""
from tests.permissions.cases import Case, everyone

CASES: dict = {}
for _fmt in ("json", "xml"):
    CASES |= {
        f"/open311/v2/discovery.{_fmt}": Case(get=everyone(200), public=True),
        f"/open311/v2/services.{_fmt}": Case(get=everyone(200), public=True),
        f"/open311/v2/services/<service_code>.{_fmt}": Case(get=everyone(404), params={"service_code": "item"},
                                                           public=True),
        f"/open311/v2/service/<service_code>.{_fmt}": Case(get=everyone(404), params={"service_code": "item"},
                                                          public=True),
        f"/open311/v2/requests.{_fmt}": Case(get=everyone(200), post=everyone(403), public=True),
        f"/open311/v2/requests/<service_request_id>.{_fmt}": Case(
            get=everyone(404), params={"service_request_id": "item"}, public=True),
    }
