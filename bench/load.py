"""Load: 50 and 200 phones at once through gunicorn + PostgreSQL (+ Redis), against a static page in the same run.

Setup (not timed): a scratch database (BENCH_DATABASE_URL, or one made with ``createdb`` and dropped at the end) gets
the demo (``seed_demo``: NG001's roster, its two open votes) and an open needs survey without answers; every
household's notice is reset to "not yet accepted". gunicorn serves the real app as ``make serve`` does (sync
workers, ``--no-control-socket``; ``--workers``, 5 by default = 2 × cores + 1), with DATABASE_URL on PostgreSQL and
REDIS_URL=redis://127.0.0.1:6379/0.

Each phone is one household of NG001 with its own session cookie and does what a resident does:
GET /r/NG001, POST its code (CSRF), GET /home → the notice, POST "I agree", GET the survey, POST the whole form
(``action=submit``, ~51 answers drawn as seed-demo draws them) → 302 to the receipt, GET the receipt; in the vote
scenario it then opens an open vote it may take part in, POSTs the owner's ID tail (printed by
``flask seed-demo --json`` as owner_id_tail) → 302, and POSTs a ballot → 302. Scenarios: "survey" with 50 and with
200 phones at once, "survey + vote" with 50 and with 200 (different households each time: NG001 has ~290 coded
households, so the 200-phone vote scenario re-uses households that already answered; a second submission is an
edit and a second ballot a change of vote, both real paths). Each scenario is followed by the baseline: as many
phones GETting /static/css/app.css (through Flask, like any page) as many times as the scenario made requests.

Prints per scenario: requests, requests/s, p50 and p99 of a request, phones finished per second, errors (any
status other than the expected one, or a failed connection), and the baseline's requests/s, p50, p99 and the ratios.

    .venv/bin/python bench/load.py [--phones 50,200] [--workers 5] [--deadline 600]

The entry page's rate limit is switched off (RATELIMIT_ENABLED=False): all phones come from 127.0.0.1, which the
limiter rightly refuses in production after a few codes a minute. Everything else is the production configuration.
"""
import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET, CODE_KEY = "bench-secret", "bench-code-key"
REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


def app_config(url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": SECRET, "HOUSEHOLD_CODE_KEY": CODE_KEY,
            "RATELIMIT_ENABLED": False}


def served_app():
    """What gunicorn serves (``bench.load:served_app()``): the real app, configured from the environment as in
    production (DATABASE_URL, REDIS_URL), with fixed keys so that the setup's codes are valid."""
    from app import create_app
    return create_app({"SECRET_KEY": SECRET, "HOUSEHOLD_CODE_KEY": CODE_KEY, "RATELIMIT_ENABLED": False})


# ---------------------------------------------------------------------------------------------------- setup

def prepare(url: str) -> tuple[int, list[dict]]:
    """The demo, an open needs survey, every notice unaccepted; (survey id, phones: one dict per NG001 household
    with its code, household id, survey form, owner ID tail and the open vote it may vote in, or None)."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from app import create_app
    from participation.demo.seed import seed_demo
    from participation.extensions import db
    from participation.models import Community, Household, User
    from participation.models.types import utcnow
    from participation.models.votes import Ballot, Vote
    from participation.votes.operations import households_in_scope, owner_of
    from surveys.demo import COMMUNITY, build_needs_survey, community_households, field_findings, needs_answers
    app = create_app(app_config(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        result = seed_demo()
        community = db.session.scalar(select(Community).filter_by(code=COMMUNITY))
        organiser = db.session.scalar(select(User).filter_by(role="organiser"))
        now = utcnow()
        survey = build_needs_survey(community, organiser, opened=now - timedelta(hours=1),
                                    closes=now + timedelta(days=30))
        db.session.execute(update(Household).values(notice_accepted_at=None))
        db.session.commit()
        findings = field_findings(community)
        by_address = {}
        for household in community_households(community):
            unit = household.unit
            rng = random.Random(f"bench:{unit.building.name}:{unit.name}:{household.room}")
            by_address[(unit.building.name, unit.name, household.room)] = (
                household, needs_answers(survey, household, rng, findings))
        votes = db.session.scalars(select(Vote).where(Vote.community_id == community.id, Vote.status == "open")
                                   .order_by(Vote.id)).all()
        taken = {(vote_id, owner) for vote_id, owner in db.session.execute(select(Ballot.vote_id, Ballot.owner))}
        in_scope = {vote.id: set(db.session.scalars(households_in_scope(vote).with_only_columns(Household.id)))
                    for vote in votes}
        phones, owners = [], set()
        for row in result.households:
            if row["community"] != COMMUNITY:
                continue
            household, form = by_address[(row["building"], row["unit"], row["room"])]
            owner = owner_of(household)
            vote_id = next((vote.id for vote in votes if household.id in in_scope[vote.id]
                            and (vote.id, owner) not in taken and (vote.id, owner) not in owners), None)
            if vote_id is not None and row.get("owner_id_tail"):
                owners.add((vote_id, owner))
            else:
                vote_id = None
            phones.append({"code": row["code"], "household": household.id, "form": form,
                           "tail": row.get("owner_id_tail"), "vote": vote_id})
        survey_id = survey.id
        db.session.remove()
        db.engine.dispose()
    return survey_id, phones


# ---------------------------------------------------------------------------------------------------- client

class Phone:
    """One resident's phone: its own session cookie; a new connection per request (sync workers close them).
    Every request is recorded as (step, status, seconds, ok)."""

    def __init__(self, port: int, timeout: float = 60):
        self.port, self.timeout, self.cookie, self.log = port, timeout, None, []

    def request(self, step: str, method: str, path: str, body=None, expect=(200,)) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            status, location = response.status, response.getheader("Location") or ""
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
        except OSError as error:
            status, text, location = 0, repr(error), ""
        finally:
            connection.close()
        self.log.append((step, status, time.perf_counter() - started, status in expect))
        return status, text, location


def token_of(html: str) -> str | None:
    match = TOKEN.search(html)
    return (match.group(1) or match.group(2)) if match else None


def form_fields(raw: dict, token: str) -> list[tuple[str, str]]:
    fields = [("csrf_token", token), ("action", "submit")]
    for name, value in raw.items():
        for item in (value if isinstance(value, list) else [value]):
            fields.append((name, str(item)))
    return fields


def journey(phone: Phone, resident: dict, survey_id: int, vote: bool, acks: list | None = None) -> bool:
    """One resident's whole visit; False at the first unexpected answer. Acknowledged writes (a 302 to the receipt,
    a 302 back to the vote after a ballot) are appended to ``acks`` as (kind, household id, detail)."""
    status, page, _ = phone.request("entry", "GET", "/r/NG001")
    token = token_of(page) if status == 200 else None
    if token is None:
        return False
    status, _, location = phone.request("code", "POST", "/r/NG001", {"code": resident["code"], "csrf_token": token},
                                        expect=(302,))
    if status != 302:
        return False
    status, page, _ = phone.request("notice", "GET", "/home/notice")
    token = token_of(page) if status == 200 else None
    if token is None:
        return False
    status, _, _ = phone.request("accept", "POST", "/home/notice", {"csrf_token": token, "accept": "1"},
                                 expect=(302,))
    if status != 302:
        return False
    status, page, _ = phone.request("survey", "GET", f"/s/{survey_id}")
    token = token_of(page) if status == 200 else None
    if token is None:
        return False
    status, _, location = phone.request("submit", "POST", f"/s/{survey_id}", form_fields(resident["form"], token),
                                        expect=(302,))
    if status != 302 or not location.endswith(f"/s/{survey_id}/receipt"):
        return False
    if acks is not None:
        acks.append(("response", resident["household"], None))
    status, page, _ = phone.request("receipt", "GET", f"/s/{survey_id}/receipt")
    if status != 200:
        return False
    if not vote or resident["vote"] is None:
        return True
    vote_path = f"/r/NG001/votes/{resident['vote']}"
    status, page, _ = phone.request("vote page", "GET", vote_path)
    token = token_of(page) if status == 200 else None
    if token is None:
        return False
    status, _, location = phone.request("verify", "POST", vote_path + "/verify",
                                        {"csrf_token": token, "tail": resident["tail"]}, expect=(302,))
    if status != 302:
        return False
    status, page, _ = phone.request("vote page", "GET", vote_path)
    token = token_of(page) if status == 200 else None
    if token is None:
        return False
    choice = random.Random(resident["household"]).choice(("yes", "yes", "yes", "no", "abstain"))
    # As on a phone: the choice answers with a page naming it, whose 确认 posts again with ``confirmed``.
    status, page, _ = phone.request("ballot choice", "POST", vote_path + "/ballot",
                                    {"csrf_token": token, "choice": choice}, expect=(200,))
    token = token_of(page) if status == 200 else None
    if token is None:
        return False
    status, _, location = phone.request("ballot", "POST", vote_path + "/ballot",
                                        {"csrf_token": token, "choice": choice, "confirmed": "1"}, expect=(302,))
    if status != 302 or vote_path not in location:
        return False
    if acks is not None:
        acks.append(("ballot", resident["household"], (resident["vote"], choice)))
    return True


def run_phones(work, phones: int) -> float:
    """Run ``work(i)`` for i in range(phones), each on its own thread, all started together; seconds taken."""
    barrier = threading.Barrier(phones + 1)

    def start(i):
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(phones)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def summary(logs: list, seconds: float) -> dict:
    times = sorted(entry[2] for entry in logs)
    return {"requests": len(times), "rate": len(times) / seconds,
            "p50": statistics.median(times) * 1000 if times else 0.0,
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000 if times else 0.0,
            "errors": sum(1 for entry in logs if not entry[3]), "seconds": seconds}


# ---------------------------------------------------------------------------------------------------- serving

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    """``make serve``'s gunicorn in its own session (so that it can be killed as a group), ready to answer."""
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=REDIS_URL, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "error", "--timeout", "60",
         "bench.load:served_app()"], cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 30 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def scratch_database(prefix: str) -> tuple[str, str | None]:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url, None
    name = f"{prefix}_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return f"postgresql://postgres@127.0.0.1:5432/{name}", name


def drop_database(name: str | None) -> None:
    if name:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False)


# ---------------------------------------------------------------------------------------------------- main

def scenario(port: int, chosen: list, survey_id: int, vote: bool):
    """The phones' visits, all at once, then the static baseline with as many phones and requests; (phones,
    which finished, seconds, the visits' summary, the baseline's)."""
    phones = [Phone(port) for _ in chosen]
    finished = [False] * len(chosen)

    def work(i):
        finished[i] = journey(phones[i], chosen[i], survey_id, vote)

    seconds = run_phones(work, len(chosen))
    measured = summary([entry for phone in phones for entry in phone.log], seconds)
    per_phone = -(-measured["requests"] // len(chosen))
    statics = [Phone(port) for _ in chosen]

    def fetch(i):
        for _ in range(per_phone):
            statics[i].request("static", "GET", "/static/css/app.css")

    static_seconds = run_phones(fetch, len(chosen))
    return phones, finished, seconds, measured, summary([entry for phone in statics for entry in phone.log],
                                                        static_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", default="50,200", help="phones at once, comma-separated")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=600, help="seconds for the whole run")
    args = parser.parse_args()
    url, created = scratch_database("load_bench")
    try:
        run(url, args)
    finally:
        drop_database(created)


def run(url: str, args) -> None:
    started = time.perf_counter()
    survey_id, residents = prepare(url)
    voters = sum(1 for resident in residents if resident["vote"])
    print(f"setup: demo, needs survey {survey_id}; {len(residents)} coded households of NG001, {voters} of them "
          f"owners who may vote on an open vote ({time.perf_counter() - started:.1f} s)")
    port = free_port()
    server = start_gunicorn(url, port, args.workers)
    try:
        # Untimed: every worker loads the app, its templates and the survey on its first requests.
        warm = [Phone(port) for _ in range(4 * args.workers)]
        run_phones(lambda i: warm[i].request("warm", "GET", "/static/css/app.css"), len(warm))
        run_phones(lambda i: journey(warm[i], residents[-1 - i], survey_id, True), len(warm))
        print(f"gunicorn {args.workers} sync workers, PostgreSQL, Redis, loopback; a request's p50/p99 in ms")
        print(f"{'scenario':<22}{'phones':>7}{'requests':>9}{'req/s':>8}{'p50':>8}{'p99':>8}{'errors':>7}"
              f"{'phones/s':>9} | {'static req/s':>12}{'p50':>7}{'p99':>7} | {'ratio req/s':>11}{'ratio p50':>10}")
        offset = 0
        for vote in (False, True):
            for count in (int(value) for value in args.phones.split(",")):
                chosen = [residents[(offset + i) % len(residents)] for i in range(count)]
                offset += count
                phones, finished, seconds, measured, baseline = scenario(port, chosen, survey_id, vote)
                name = "survey + vote" if vote else "survey"
                print(f"{name:<22}{count:>7}{measured['requests']:>9}{measured['rate']:>8.1f}{measured['p50']:>8.0f}"
                      f"{measured['p99']:>8.0f}{measured['errors']:>7}{sum(finished) / seconds:>9.1f} | "
                      f"{baseline['rate']:>12.1f}{baseline['p50']:>7.0f}{baseline['p99']:>7.0f} | "
                      f"{measured['rate'] / baseline['rate']:>11.2f}{measured['p50'] / max(baseline['p50'], 0.01):>10.1f}")
                failed = [entry for phone in phones for entry in phone.log if not entry[3]]
                if failed:
                    print(f"  errors by step: {sorted({(step, status) for step, status, _s, _ok in failed})}")
                steps = {}
                for phone in phones:
                    for step, _status, spent, _ok in phone.log:
                        steps.setdefault(step, []).append(spent * 1000)
                print("  p50 by step (ms): " + ", ".join(f"{step} {statistics.median(times):.0f}"
                                                         for step, times in steps.items()))
                if time.perf_counter() - started > args.deadline:
                    print("deadline reached; the remaining scenarios are skipped")
                    return
    finally:
        stop_gunicorn(server)


if __name__ == "__main__":
    main()
