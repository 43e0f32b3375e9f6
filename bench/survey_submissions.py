"""Survey submission benchmark: residents submitting the needs survey through gunicorn + PostgreSQL, against a bare
one-row-insert Flask endpoint served by the same gunicorn (same worker count) on the same database, in the same run.

Setup (not timed): a scratch PostgreSQL database (BENCH_DATABASE_URL, or one made with ``createdb`` and dropped at
the end) gets the demo roster and the demo's open needs survey without answers; every household's notice is marked
accepted. Each simulated resident then enters with their household code (GET /r/NG001, POST the code), opens the
survey (GET /s/<id>, which gives the CSRF token) — also not timed. Timed: N POSTs of the whole survey form
(``action=submit``, CSRF included, answers drawn as seed-demo draws them), from ``--threads`` client threads; then,
after warming its workers with untimed requests as the entry warmed the survey's, N POSTs to the bare endpoint with a
body of the same size, and N POSTs of the same forms to ``/floor`` (the same rows written by raw SQL, no app), from
as many threads. Prints requests per second of each and the ratios to the bare insert (goal ≥ 0.6). Loopback only; at most ``--count`` requests each and ``--deadline`` seconds in all;
gunicorn is stopped at the end, whatever happens.

    .venv/bin/python bench/survey_submissions.py [--count 290] [--threads 4] [--workers 2]

Only the entry page's rate limit is switched off (RATELIMIT_ENABLED=False): the setup enters N households from one
address in a few seconds, which the limiter rightly refuses in production. The timed path has no limit either way.
"""
import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET, CODE_KEY = "bench-secret", "bench-code-key"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def app_config(url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "HOUSEHOLD_CODE_KEY": CODE_KEY,
            "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def survey_app():
    """The real application, as gunicorn serves it (``bench.survey_submissions:survey_app()``)."""
    from app import create_app
    return create_app(app_config(_sqlalchemy_url(os.environ["BENCH_URL"])))


def bare_app():
    """The baseline: Flask, one SQLAlchemy engine, one endpoint that parses the form and inserts one row.

    Also ``/floor``: the rows a submission stores and nothing else — one response (ON CONFLICT DO NOTHING), its
    answer rows by COPY, one revision with the form as JSON — into copies of the survey tables (same columns,
    indexes and foreign keys), with no session, no checks and no tallies: what any design that stores the answers
    as rows at once pays the database, for comparison."""
    import json

    from flask import Flask, request
    from sqlalchemy import create_engine, text
    engine = create_engine(_sqlalchemy_url(os.environ["BENCH_URL"]), pool_pre_ping=True)
    app = Flask("bare")
    with engine.connect() as connection:
        questions = {name: (qid, kind) for qid, name, kind in connection.execute(text(
            "SELECT id, name, type FROM survey_questions WHERE survey_id = :s"), {"s": int(os.environ["BENCH_SURVEY"])})}

    @app.post("/bare")
    def insert():
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_bare (payload) VALUES (:payload)"),
                               {"payload": request.form.get("payload", "")})
        return "", 204

    @app.post("/floor")
    def floor():
        form = request.form
        rows, values = [], {}
        for name in form:
            if name not in questions:
                continue
            qid, kind = questions[name]
            picked = form.getlist(name)
            values[name] = picked if len(picked) > 1 else picked[0]
            for rank, value in enumerate(picked, start=1):
                if kind in ("integer", "decimal", "rating"):
                    rows.append((qid, None, None, value, None))
                elif kind in ("text", "long_text", "phone"):
                    rows.append((qid, None, None, None, value))
                else:
                    rows.append((qid, value, rank if kind == "rank" else None, None, None))
        with engine.begin() as connection:
            response_id = connection.execute(text(
                "INSERT INTO bench_responses (survey_id, household_id, status, receipt, channel, version, created_at, "
                "updated_at, submitted_at) VALUES (:s, :h, 'submitted', :r, 'web', 1, now(), now(), now()) "
                "ON CONFLICT (survey_id, household_id) DO NOTHING RETURNING id"),
                {"s": int(os.environ["BENCH_SURVEY"]), "h": int(form["household"]),
                 "r": "F" + form["household"]}).scalar()
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy("COPY bench_answers (response_id, question_id, choice, rank, number, text_value) "
                             "FROM STDIN") as copy:
                for qid, choice, rank, number, text_value in rows:
                    copy.write_row((response_id, qid, choice, rank, number, text_value))
            connection.execute(text("INSERT INTO bench_revisions (response_id, version, status, channel, values, "
                                    "saved_at) VALUES (:r, 1, 'submitted', 'web', :v, now())"),
                               {"r": response_id, "v": json.dumps(values, ensure_ascii=False)})
        return "", 204
    return app


def _sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


# ---------------------------------------------------------------------------------------------------- setup

def prepare(url: str) -> tuple[int, list[dict], dict, dict]:
    """Demo roster and the needs survey (open, unanswered); (survey id, NG001 households with codes, forms, the
    households' ids by address)."""
    from sqlalchemy import text, update

    from app import create_app
    from participation.demo.seed import seed_demo
    from participation.extensions import db
    from participation.models import Community, Household, User
    from participation.models.types import utcnow
    from surveys.demo import COMMUNITY, build_needs_survey, community_households, field_findings, needs_answers
    app = create_app(app_config(_sqlalchemy_url(url)))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.execute(text("DROP TABLE IF EXISTS bench_bare"))
        db.session.execute(text("CREATE TABLE bench_bare (id SERIAL PRIMARY KEY, payload TEXT NOT NULL, "
                                "created_at TIMESTAMPTZ NOT NULL DEFAULT now())"))
        db.session.execute(text("DROP TABLE IF EXISTS bench_revisions, bench_answers, bench_responses"))
        for copy, table in (("bench_responses", "survey_responses"), ("bench_answers", "survey_answers"),
                            ("bench_revisions", "survey_response_revisions")):
            db.session.execute(text(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)"))   # ids: same sequences
        db.session.execute(text(
            "ALTER TABLE bench_responses "
            "ADD FOREIGN KEY (survey_id) REFERENCES surveys (id), ADD FOREIGN KEY (household_id) REFERENCES households (id);"
            "ALTER TABLE bench_answers ADD FOREIGN KEY (response_id) REFERENCES bench_responses (id), "
            "ADD FOREIGN KEY (question_id) REFERENCES survey_questions (id);"
            "ALTER TABLE bench_revisions ADD FOREIGN KEY (response_id) REFERENCES bench_responses (id)"))
        result = seed_demo()
        db.session.execute(update(Household).values(notice_accepted_at=utcnow()))
        community = db.session.scalar(db.select(Community).filter_by(code=COMMUNITY))
        organiser = db.session.scalar(db.select(User).filter_by(role="organiser"))
        now = utcnow()
        from datetime import timedelta
        survey = build_needs_survey(community, organiser, opened=now - timedelta(hours=1),
                                    closes=now + timedelta(days=30))
        db.session.commit()
        findings = field_findings(community)
        forms, ids = {}, {}
        for household in community_households(community):
            unit = household.unit
            rng = random.Random(f"bench:{unit.building.name}:{unit.name}:{household.room}")
            forms[(unit.building.name, unit.name, household.room)] = needs_answers(survey, household, rng, findings)
            ids[(unit.building.name, unit.name, household.room)] = household.id
        codes = [row for row in result.households if row["community"] == COMMUNITY]
        survey_id = survey.id
        db.session.remove()
        db.engine.dispose()
    return survey_id, codes, forms, ids


class Client:
    """One resident's browser: its own session cookie; a new connection per request (sync workers close them)."""

    def __init__(self, port: int):
        self.port, self.cookie = port, None

    def request(self, method: str, path: str, body: dict | list | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()


def token_of(html: str) -> str:
    match = TOKEN.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def form_fields(raw: dict, token: str) -> list[tuple[str, str]]:
    fields = [("csrf_token", token), ("action", "submit")]
    for name, value in raw.items():
        for item in (value if isinstance(value, list) else [value]):
            fields.append((name, str(item)))
    return fields


# ---------------------------------------------------------------------------------------------------- serving

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn in its own process group, stopped (TERM, then KILL) when the block ends."""

    def __init__(self, target: str, url: str, workers: int):
        self.port = free_port()
        env = dict(os.environ, BENCH_URL=url, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--log-level", "warning", target],
            cwd=ROOT, env=env, start_new_session=True)

    def __enter__(self) -> "Server":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 30 s")

    def __exit__(self, *exc) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def timed(jobs: list, threads: int, deadline: float) -> tuple[float, int, list]:
    """Run the callables on ``threads`` threads; (seconds, how many succeeded, failures)."""
    done, failures, lock = 0, [], threading.Lock()

    def run(job):
        nonlocal done
        if time.monotonic() > deadline:
            return
        ok, detail = job()
        with lock:
            if ok:
                done += 1
            else:
                failures.append(detail)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, jobs))
    return time.perf_counter() - started, done, failures


# ---------------------------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=290, help="submissions (and bare inserts); at most 290")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=240, help="seconds for the whole run")
    args = parser.parse_args()
    deadline = time.monotonic() + args.deadline
    url, created = os.environ.get("BENCH_DATABASE_URL"), None
    if not url:
        created = f"survey_bench_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", created], check=True)
        url = f"postgresql://postgres@127.0.0.1:5432/{created}"
    try:
        run(url, args, deadline)
    finally:
        if created:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", created], check=False)


def run(url: str, args, deadline: float) -> None:
    started = time.perf_counter()
    survey_id, codes, forms, ids = prepare(url)
    os.environ["BENCH_SURVEY"] = str(survey_id)
    codes = codes[:args.count]
    print(f"setup: demo roster, needs survey {survey_id} with {len(next(iter(forms.values())))}-ish answers a form; "
          f"{len(codes)} households ({time.perf_counter() - started:.1f} s)")
    with Server("bench.survey_submissions:survey_app()", url, args.workers) as server:
        residents = []

        def enter(row):
            client = Client(server.port)
            page = client.request("GET", "/r/NG001")[1]
            status, _body = client.request("POST", "/r/NG001", {"code": row["code"], "csrf_token": token_of(page)})
            if status != 302:
                return False, f"entry {status}"
            status, body = client.request("GET", f"/s/{survey_id}")
            if status != 200:
                return False, f"survey page {status}"
            address = (row["building"], row["unit"], row["room"])
            residents.append((client, form_fields(forms[address], token_of(body)), ids[address]))
            return True, None

        seconds, entered, failures = timed([lambda row=row: enter(row) for row in codes], args.threads, deadline)
        print(f"entered {entered} households in {seconds:.1f} s (not timed)")
        if failures:
            print(f"  {len(failures)} entries failed, e.g. {failures[0]}")

        def submit(client, fields):
            status, body = client.request("POST", f"/s/{survey_id}", fields)
            return status == 302, f"{status} {body[:200]}"

        body_size = max(len(urllib.parse.urlencode(fields)) for _client, fields, _id in residents)
        seconds, submitted, failures = timed([lambda c=c, f=f: submit(c, f) for c, f, _id in residents],
                                             args.threads, deadline)
        survey_rate = submitted / seconds
        if failures:
            print(f"  {len(failures)} submissions failed, e.g. {failures[0]}")
    with Server("bench.survey_submissions:bare_app()", url, args.workers) as server:
        payload = "x" * body_size

        def bare():
            status, body = Client(server.port).request("POST", "/bare", {"payload": payload})
            return status == 204, f"{status} {body[:200]}"

        def floor(fields, household_id):
            status, body = Client(server.port).request("POST", "/floor", fields + [("household", household_id)])
            return status == 204, f"{status} {body[:200]}"

        # Untimed first: the workers load the app on their first requests (the survey server was warmed by the
        # households' entry above); timing a cold server would flatter the ratio.
        timed([bare] * (10 * args.workers), args.threads, deadline)
        seconds, inserted, failures = timed([bare] * len(residents), args.threads, deadline)
        bare_rate = inserted / seconds
        if failures:
            print(f"  {len(failures)} bare inserts failed, e.g. {failures[0]}")
        seconds, floored, failures = timed([lambda f=f, i=i: floor(f, i) for _c, f, i in residents], args.threads,
                                           deadline)
        floor_rate = floored / seconds
        if failures:
            print(f"  {len(failures)} floor submissions failed, e.g. {failures[0]}")
    check = verify(url, survey_id)
    print(f"gunicorn, {args.workers} sync workers, PostgreSQL, {args.threads} client threads, loopback:")
    print(f"  bare one-row insert: {inserted:4d} requests  {bare_rate:7.1f} req/s  (body {body_size} bytes)")
    print(f"  survey submission:   {submitted:4d} requests  {survey_rate:7.1f} req/s  ({check})")
    print(f"  the rows alone (floor): {floored:4d} requests  {floor_rate:7.1f} req/s  (response, answers by COPY, "
          f"revision; no app)")
    print(f"  ratio floor / bare:      {floor_rate / bare_rate:.2f}  (what storing the answers as rows leaves)")
    print(f"  ratio submission / bare: {survey_rate / bare_rate:.2f}  (goal ≥ 0.6: "
          f"{'met' if survey_rate / bare_rate >= 0.6 else 'NOT met'})")


def verify(url: str, survey_id: int) -> str:
    from sqlalchemy import create_engine, text
    engine = create_engine(_sqlalchemy_url(url))
    with engine.connect() as connection:
        responses = connection.scalar(text("SELECT count(*) FROM survey_responses WHERE survey_id = :s AND "
                                           "status = 'submitted'"), {"s": survey_id})
        answers = connection.scalar(text("SELECT count(*) FROM survey_answers"))
    engine.dispose()
    return f"{responses} submitted responses, {answers} answer rows in the database"


if __name__ == "__main__":
    main()
