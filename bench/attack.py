"""A bounded attack pass against a running demo on loopback (issue 12's "attack it again yourself").

    DATABASE_URL=sqlite:////tmp/attack/app.db flask --app app db upgrade && flask --app app seed-demo --json > demo.json
    gunicorn --workers 2 --bind 127.0.0.1:5055 'app:create_app()' &
    .venv/bin/python bench/attack.py --base http://127.0.0.1:5055 --demo demo.json

Each probe prints what it tried, what came back and whether that is what the rules want (OK / FAIL). Nothing here
leaves 127.0.0.1; every loop is bounded. Run it on a throwaway database: it files complaints and wrong guesses.
It signs in about fifteen times: run it at most once a minute, or the sign-in rate limit (30/minute) answers 429.
"""
import argparse
import json
import re
import sys
import threading
from urllib.parse import urljoin

import requests

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
results = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append(ok)
    print(f"{'OK  ' if ok else 'FAIL'} {name}: {detail}")


def token(session: requests.Session, url: str) -> str:
    page = session.get(url)
    found = TOKEN.search(page.text)
    return found.group(1) if found else ""


def login(base: str, username: str, password: str, next_path: str | None = None) -> tuple[requests.Session, requests.Response]:
    session = requests.Session()
    url = urljoin(base, "/login" + (f"?next={next_path}" if next_path else ""))
    response = session.post(url, data={"csrf_token": token(session, urljoin(base, "/login")),
                                       "username": username, "password": password}, allow_redirects=False)
    return session, response


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:5055")
    parser.add_argument("--demo", required=True, help="the output of seed-demo --json")
    args = parser.parse_args()
    base = args.base
    demo = json.load(open(args.demo, encoding="utf-8"))
    users = {user["role"]: user for user in demo["users"] if user["username"] != "demo-supervisor"}

    # CSRF: a POST without a token changes nothing.
    response = requests.post(urljoin(base, "/login"), data={"username": "demo-admin", "password": "x"})
    check("CSRF on /login", response.status_code == 400, f"status {response.status_code}")

    # Open redirects after a good sign-in.
    admin = users["admin"]
    for evil in ("//evil.example", "/%09/evil.example", "/%0a/evil.example", "/\\evil.example",
                 "https://evil.example", "javascript:alert(1)", "/%EF%BC%8Fevil.example"):
        _session, response = login(base, admin["username"], admin["password"], evil)
        location = response.headers.get("Location", "")
        check(f"next={evil}", response.status_code in (302, 303) and "evil" not in location
              and not location.startswith("//"), f"{response.status_code} → {location!r}")

    # A session copied before sign-out is dead after it.
    session, _ = login(base, admin["username"], admin["password"])
    copied = dict(session.cookies)
    session.post(urljoin(base, "/logout"), data={"csrf_token": token(session, urljoin(base, "/admin/"))})
    replay = requests.get(urljoin(base, "/admin/"), cookies=copied, allow_redirects=False)
    check("cookie replay after logout", replay.status_code in (302, 303), f"status {replay.status_code}")

    # Inputs that used to give a 500.
    hotline, _ = login(base, users["hotline"]["username"], users["hotline"]["password"])
    organiser, _ = login(base, users["organiser"]["username"], users["organiser"]["password"])
    for who, session, path in (("hotline", hotline, "/hotline/new?household=" + "9" * 30),
                               ("admin", login(base, admin["username"], admin["password"])[0],
                                "/admin/audit?page=" + "9" * 30),
                               ("anyone", requests.Session(), "/open311/v2/requests.json?page=10%5E20"),
                               ("hotline", hotline, "/assist/?community=NG001&building=%27%20OR%201%3D1--"),
                               ("hotline", hotline, "/hotline/new?q=%00")):
        status = session.get(urljoin(base, path)).status_code
        check(f"GET {path[:60]} as {who}", status < 500, f"status {status}")

    # NUL bytes in a form are refused, not stored.
    response = hotline.post(urljoin(base, "/hotline/new"),
                            data={"csrf_token": token(hotline, urljoin(base, "/hotline/new")), "description": "a\x00b"})
    check("NUL byte in a form", response.status_code == 400, f"status {response.status_code}")

    # Stored XSS: a resident's complaint text is escaped on the hotline's ticket page.
    household = demo["households"][0]
    resident = requests.Session()
    resident.post(urljoin(base, f"/r/{household['community']}"),
                  data={"csrf_token": token(resident, urljoin(base, f"/r/{household['community']}")),
                        "code": household["code"]})
    resident.post(urljoin(base, "/home/notice"), data={"csrf_token": token(resident, urljoin(base, "/home/notice")),
                                                       "accept": "1"})
    form_page = resident.get(urljoin(base, "/complaints/new")).text
    category = re.search(r'name="category"[^>]*value="(\d+)"', form_page) or re.search(
        r'value="(\d+)"[^>]*name="category"', form_page)
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>=HYPERLINK("http://evil")'
    filed = resident.post(urljoin(base, "/complaints/new"), allow_redirects=False, data={
        "csrf_token": TOKEN.search(form_page).group(1) if TOKEN.search(form_page) else "",
        "category": category.group(1) if category else "", "where": "common", "place": payload,
        "description": payload, "urgency": "normal"})
    receipt = filed.headers.get("Location", "").split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    check("resident files a complaint carrying markup", filed.status_code in (302, 303), f"receipt {receipt}")
    page = hotline.get(urljoin(base, f"/hotline/tickets/{receipt}")).text
    check("hotline ticket page escapes it", "<script>alert" not in page and "onerror=alert" not in page.replace(
        "&lt;img src=x onerror=alert(2)&gt;", ""), "no live markup")
    listing = requests.get(urljoin(base, "/open311/v2/requests.json"))
    check("Open311 list prints none of it", listing.status_code == 200 and "HYPERLINK" not in listing.text
          and "<script" not in listing.text, f"status {listing.status_code}, {len(listing.json())} requests")

    # Hidden choices: the paper search names who voted, never how, while tallies are hidden.
    votes_page = organiser.get(urljoin(base, "/c/NG001/votes")).text
    vote_ids = sorted(set(re.findall(r"/c/NG001/votes/(\d+)", votes_page)))
    for vote_id in vote_ids:
        show = organiser.get(urljoin(base, f"/c/NG001/votes/{vote_id}")).text
        if "隐藏" in show or "hidden" in show.lower():
            paper = organiser.get(urljoin(base, f"/c/NG001/votes/{vote_id}/paper?building=1")).text
            check(f"vote {vote_id}: paper search hides choices", not re.search(r"(同意|反对|弃权)\s*</td>", paper),
                  "no choice cells")

    # Paper ballots are for organisers and admins only.
    grid, _ = login(base, users["grid"]["username"], users["grid"]["password"])
    for vote_id in vote_ids[:1]:
        status = grid.post(urljoin(base, f"/c/NG001/votes/{vote_id}/paper"),
                           data={"csrf_token": token(grid, urljoin(base, "/assist/"))}).status_code
        check("grid worker posts a paper ballot", status in (403, 404), f"status {status}")

    # Forty parallel wrong passwords for one account from one address: the throttle counts every one.
    statuses = []

    def guess() -> None:
        _s, response = login(base, users["agency"]["username"], "wrong-password-123")
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen = {status: statuses.count(status) for status in sorted(set(statuses))}
    check("40 parallel wrong passwords", all(status < 500 for status in statuses), f"statuses {seen}")
    print(f"\n{sum(results)} of {len(results)} probes as the rules want")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
