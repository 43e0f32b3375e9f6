"""Phones of complainants stay masked in every list and export of complaints (issue 5, "Done when"): the queue, the
ticket page until the audited reveal, the weekly bulletin and its workbook, the rates, the plan's workbook and JSON
(its 意见与投诉 sheet), Open311's GET, and the resident's own pages. A household's number and a caller's number
outside the roster are both looked for, in full and in the common spellings a page or a cell might use."""
from io import BytesIO
from zipfile import ZipFile

from participation.api.open311_keys import create_key
from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.labels import mask_phone
from tests.participation.test_hotline import new_ticket, sign_in, site  # noqa: F401  (site is a fixture)

CALLER = "13912345678"


def spellings(phone):
    return {phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", f"{phone[:3]} {phone[3:7]} {phone[7:]}"}


def xlsx_text(data: bytes) -> str:
    """Every cell of a workbook, as the XML it is stored in (shared strings and inline values)."""
    with ZipFile(BytesIO(data)) as book:
        return "".join(book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml"))


def test_no_list_or_export_shows_a_complainants_phone(client, site):  # noqa: F811
    ticket = new_ticket(site)
    household_phone = ticket.household.phone
    outside = file_ticket(site["users"]["hotline"], site["community"], category=site["category"],
                          description="楼下有人私拉电线", channel="community_hotline", caller_name="王先生",
                          caller_phone=CALLER)
    act(site["users"]["hotline"], ticket, "dispatch", agency=site["contractor"])
    db.session.commit()
    secret = spellings(household_phone) | spellings(CALLER)

    def assert_private(where, text):
        leaked = [phone for phone in secret if phone in text]
        assert not leaked, f"{where} shows {leaked}"

    checked = set()
    for username in ("desk", "org", "builder"):
        sign_in(client, username)
        for url in ("/hotline", "/bulletin", "/rates", f"/hotline/tickets/{ticket.receipt}",
                    f"/hotline/tickets/{outside.receipt}", "/c/HL001/dashboard", "/c/HL001/plan.json"):
            response = client.get(url)
            if response.status_code == 200:
                assert_private(f"{url} as {username}", response.get_data(as_text=True))
                checked.add((username, url))
        for url in ("/bulletin.xlsx", "/c/HL001/plan.xlsx"):
            response = client.get(url)
            if response.status_code == 200:
                assert_private(f"{url} as {username}", xlsx_text(response.data))
                checked.add((username, url))
    # the pages each role has: nothing above passed by being refused
    assert {("desk", "/hotline"), ("desk", "/bulletin"), ("desk", "/bulletin.xlsx"), ("desk", "/rates"),
            ("desk", f"/hotline/tickets/{outside.receipt}"), ("org", "/c/HL001/dashboard"),
            ("org", "/c/HL001/plan.json"), ("org", "/c/HL001/plan.xlsx"), ("builder", "/hotline"),
            ("builder", f"/hotline/tickets/{ticket.receipt}")} <= checked
    sign_in(client, "desk")
    page = client.get(f"/hotline/tickets/{outside.receipt}").get_data(as_text=True)
    assert mask_phone(CALLER) in page        # the desk sees the masked number, and the full one only on reveal

    _row, key = create_key("city-12345")
    db.session.commit()
    for url in ("/open311/v2/requests.json", "/open311/v2/requests.xml", f"/open311/v2/requests/{outside.receipt}.json"):
        response = client.get(url, query_string={"api_key": key})
        assert response.status_code == 200, url
        assert_private(url, response.get_data(as_text=True))
