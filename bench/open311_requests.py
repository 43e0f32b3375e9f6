"""Open311's public list of service requests (issue 12 point 10): a page of 1,000 requests against the same rows as
one raw SQL statement, in the same run.

Generates ``--tickets`` (20,000) tickets over ``--communities`` (200) communities with ``bench/ticket_queue.py``'s
generator (a year of a city's complaints), a quarter of them filed through Open311, each with its "received" step
on the timeline (what the platform sent: media_url …) and, once answered, a public reply; bulk-inserted
(``executemany`` on SQLite, COPY on PostgreSQL, then ANALYZE). Then times, in turns (median of ``--repeat``):

- ``participation.api.open311_requests.find_requests``: the page ``GET /open311/v2/requests.json`` lists (the latest
  90 days, newest first, ``page_size`` 1,000 — the most a page may hold), as the plain dicts the view renders;
- one raw SQL statement of the same rows and columns (the same joins, the latest public reply and the first
  timeline step's media_url as correlated sub-selects, the same ORDER BY and LIMIT), fetched as rows;
- for the record, the whole GET through Flask's test client (JSON rendering included), and the way it was before
  (the tickets as ORM objects, each reading its events, category, agency, community, building and unit lazily).

Goal: ``find_requests`` ≤ 2× the raw statement. SQLite always, PostgreSQL with BENCH_DATABASE_URL (its tables are
dropped and re-created: never point it at a database you care about).

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/open311_requests.py
"""
import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select, text  # noqa: E402

from bench.ticket_queue import fresh_app, generate  # noqa: E402
from bench.timing import medians_ms  # noqa: E402
from participation.api import open311_requests  # noqa: E402
from participation.extensions import db  # noqa: E402
from participation.models import OPEN_STATES, Ticket, TicketEvent  # noqa: E402

PAGE = 1000
EVENT_COLUMNS = ("ticket_id", "action", "from_state", "to_state", "note", "details", "public", "at")
RAW = """
SELECT t.id, t.receipt, t.state, t.channel, t.description, t.received_at, t.updated_at, t.closed_at, t.due_at,
       k.name, k.code, c.name, c.address, c.lat, c.long, o.name,
       CASE WHEN t.channel = 'open311' THEN
         (SELECT e.note FROM ticket_events e WHERE e.ticket_id = t.id AND e.public AND e.action IN ('reply', 'reject')
            AND e.note IS NOT NULL ORDER BY e.id DESC LIMIT 1) END,
       (SELECT {media_url} FROM ticket_events e WHERE e.ticket_id = t.id ORDER BY e.id LIMIT 1)
FROM tickets t JOIN complaint_categories k ON k.id = t.category_id JOIN communities c ON c.id = t.community_id
LEFT JOIN organisations o ON o.id = t.agency_id
WHERE t.received_at >= :start AND t.received_at <= :end
ORDER BY t.received_at DESC, t.id DESC LIMIT :page
"""
MEDIA_URL = {"sqlite": "json_extract(e.details, '$.media_url')", "postgresql": "e.details ->> 'media_url'"}


def add_timelines(app) -> int:
    """Open311 as the channel of every fourth ticket; each ticket's "received" step, and a public reply on those
    answered."""
    rng = random.Random("open311-bench")
    with app.app_context():
        db.session.execute(text("UPDATE tickets SET channel = 'open311' WHERE id % 4 = 0"))
        tickets = db.session.execute(select(Ticket.id, Ticket.channel, Ticket.state, Ticket.received_at,
                                            Ticket.first_answered_at)).all()
        rows = []
        for ticket_id, channel, state, received, answered in tickets:
            details = {"channel": channel, "due_at": received.isoformat()}
            if channel == "open311":
                details |= {"open311_key": "12345平台", "media_url": f"https://example.org/{ticket_id}.jpg"}
            rows.append({"ticket_id": ticket_id, "action": "receive", "from_state": None, "to_state": "received",
                         "note": None, "details": details, "public": True, "at": received})
            if answered is not None:
                rows.append({"ticket_id": ticket_id, "action": "reply", "from_state": "handling",
                             "to_state": "replied", "note": rng.choice(("已修复", "已安排施工队维修", "已停止夜间施工")),
                             "details": {}, "public": True, "at": answered})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(TicketEvent.__table__), rows[start:start + 5000])
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return len(rows)


def the_old_way(args, now):
    """Before issue 12: ORM tickets, each reading its related rows lazily (one query per relation per ticket)."""
    page = []
    query = (select(Ticket).where(Ticket.received_at >= now - open311_requests.WINDOW, Ticket.received_at <= now)
             .order_by(Ticket.received_at.desc(), Ticket.id.desc()).limit(PAGE))
    for ticket in db.session.scalars(query):
        public = [event_ for event_ in ticket.events if event_.public]
        page.append((ticket.receipt, ticket.category.name, ticket.agency.name if ticket.agency else None,
                     ticket.community.name, ticket.building.name if ticket.building else None,
                     ticket.unit.name if ticket.unit else None, [e.note for e in public],
                     ticket.events[0].details if ticket.events else None))
    return page


def statements(function) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def bench(label: str, url: str, tickets: int, communities: int, repeat: int) -> None:
    print(f"{label}: {tickets:,} tickets over {communities} communities")
    app = fresh_app(url)
    app.config["ANONYMOUS_READ_LIMIT"] = "1000000/minute"
    seconds, ids = generate(app, tickets, communities)
    events = add_timelines(app)
    print(f"  generated in {seconds:.1f} s (+ {events:,} timeline steps)")
    now = ids["now"]
    args = {"page_size": str(PAGE)}
    params = {"start": now - open311_requests.WINDOW, "end": now, "page": PAGE}
    with app.app_context():
        raw = text(RAW.format(media_url=MEDIA_URL[db.engine.dialect.name]))
        page = open311_requests.find_requests(args, now=now)
        rows = db.session.execute(raw, params).all()
        assert [item["service_request_id"] for item in page] == [row[1] for row in rows], "not the same rows"
        assert len(page) == PAGE and any(item["status_notes"] for item in page) and \
            any(item["media_url"] for item in page)
        in_window = db.session.scalar(text("SELECT count(*) FROM tickets WHERE received_at >= :start AND "
                                           "received_at <= :end"), params)
        counted = statements(lambda: open311_requests.find_requests(args, now=now))
        old_counted = statements(lambda: the_old_way(args, now))
        base, measured = medians_ms(lambda: db.session.execute(raw, params).all(),
                                    lambda: open311_requests.find_requests(args, now=now), repeat)
        print(f"  raw SQL {base:7.1f} ms   find_requests() {measured:7.1f} ms   ratio {measured / base:5.2f}×"
              f"   goal ≤ 2×: {'met' if measured <= 2 * base else 'NOT met'}   ({counted} statement(s) a page)")
        _base, old = medians_ms(lambda: db.session.execute(raw, params).all(),
                                lambda: the_old_way(args, now), max(3, repeat // 3))
        print(f"  before (ORM rows, related rows lazily): {old:7.1f} ms, {old_counted:,} statements")
        db.session.remove()
    client = app.test_client()
    with app.app_context():
        # the whole GET: the default window ends now, so ask for the generated year's last 90 days explicitly
        query = (f"/open311/v2/requests.json?page_size={PAGE}&start_date={(now - open311_requests.WINDOW).isoformat()}"
                 f"&end_date={now.isoformat()}").replace("+", "%2B")
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(query)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and len(response.get_json()) == PAGE
        timings.sort()
        print(f"  GET {query.split('?')[0]} ({PAGE:,} requests, JSON rendered): {timings[len(timings) // 2]:7.1f} ms")
        print(f"  ({in_window:,} tickets in the 90-day window, {len(OPEN_STATES)} open states; median of {repeat})")
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--communities", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench("SQLite", f"sqlite:///{folder}/open311.db", options.tickets, options.communities, options.repeat)
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        bench("PostgreSQL", url, options.tickets, options.communities, options.repeat)


if __name__ == "__main__":
    main()
