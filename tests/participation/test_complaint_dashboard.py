"""The complaint charts (issue 5, point 6): the aggregates of ``participation.complaints.dashboard`` on a
fixture worked out by hand, ``/hotline/dashboard`` and the Complaints section of ``/c/<code>/dashboard``.

NOW = Thu 2025-11-20 12:00 Beijing. R1 and R2 lie in 南关区 (R1: contractor 甲施工, supervisor 乙监理; R2: contractor
丙施工), R3 in 朝阳区 (contractor 丁施工). Times are Beijing; due dates are set by hand.

    ticket  comm  category  agency  filed       due          what happened                              state now
    T1      R1    quality   甲施工   11-18 09    11-19 12     signed, no reply                           handling
    T2      R1    quality   —       11-19 10    11-21 10     a caller with a phone, not dispatched      received
    T3      R1    noise     乙监理   11-10 09    11-25 12     replied 11-12, completed                   completed
    T4      R1    quality   甲施工   11-05 09    11-08 12     replied 11-07, call-back 11-09 solved 满意  closed
    T5      R2    quality   丙施工   11-15 09    11-17 12     replied 11-18 (late), call-back 11-19
                                                             solved 不满意                               closed
    T6      R1    noise     —       11-20 08    —            rejected at once                           rejected
    T7      R3    quality   —       11-19 09    11-22 12     not dispatched                             received
    T8      R1    quality   甲施工   11-19 11    11-20 18     filed from a patrol, dispatched            dispatched
Patrol findings: F1 R1 quality open, F2 R1 quality rectified (both of 甲施工's works), F3 R3 quality open.

City-wide desk
    open by state: received T2 T7 = 2, dispatched T8 = 1, handling T1 = 1, completed T3 = 1 (total 5)
    by due: overdue T1 = 1; within 24 h (before 11-21 12:00) T2 T8 = 2; later T3 T7 = 2
    new per day (patrol tickets out): 11-05 1, 11-10 1, 11-15 1, 11-18 1, 11-19 2 (T2 T7), 11-20 1 (T6);
    closed per day: 11-09 1 (T4), 11-19 1 (T5); T6 is rejected, not closed
    rates, last 30 days (10-22 00:00 → 11-21 00:00): due T1 T4 T5 = 3 (T2 due 11-21, T8 patrol, T6 rejected),
        in time T4 = 1 → 1/3; call-backs T4 T5 = 2, solved 2 → 1.0, satisfied T4 → 0.5
    per agency: 甲施工 due T1 T4, in time 1 → 0.5, call-backs 1 → 1.0 / 1.0; 丙施工 due T5 → 0.0, 1.0 / 0.0
    per category: quality received T1 T2 T4 T5 T7 = 5, open T1 T2 T7 = 3, due 3, in time 1, call-backs 2, solved 2,
        satisfied 1; noise received T3 T6 = 2, open T3 = 1, nothing due, no call-back → rates None
    findings: open 2, rectified 1
Organiser of R1: open received 1, dispatched 1, handling 1, completed 1; R1 rates: due T1 T4, in time 1 → 0.5,
    call-back T4 → 1.0, 1.0; overdue 1; findings open 1, rectified 1.
Organiser of 朝阳区: T7 alone, F3 alone. Agency 甲施工: T1 T8; F1 F2.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from participation.complaints.dashboard import community_complaints, daily_flow, desk_dashboard, last_days
from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.models import ComplaintCategory, District, Organisation, PatrolFinding

BJ = ZoneInfo("Asia/Shanghai")
CALLER_PHONE = "13912345678"


def bj(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=BJ).astimezone(timezone.utc)


NOW = bj(11, 20, 12)


@pytest.fixture
def world(make_community, make_user, reference_data):
    k, s, k2, k3 = (Organisation(name="甲施工", kind="contractor"), Organisation(name="乙监理", kind="supervisor"),
                    Organisation(name="丙施工", kind="contractor"), Organisation(name="丁施工", kind="contractor"))
    db.session.add_all([k, s, k2, k3])
    r1 = make_community("R1", contractor=k, supervisor=s)
    r2 = make_community("R2", contractor=k2)
    r3 = make_community("R3", contractor=k3, district="朝阳区")
    desk = make_user("hotline")
    agencies = {org.name: make_user("agency", organisation=org) for org in (k, s, k2, k3)}
    quality = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    noise = db.session.scalar(select(ComplaintCategory).filter_by(code="noise"))

    def ticket(community, category, filed, due=None, *, agency=None, reply=None, callback=None, **fields):
        t = file_ticket(desk, community, category=category, description="墙皮脱落", now=filed, **fields)
        if due is not None:
            t.due_at = due
        if agency is not None:
            act(desk, t, "dispatch", agency=agency, now=filed)
            if fields.get("channel") != "patrol":
                act(agencies[agency.name], t, "sign", now=filed)
        if reply is not None:
            act(agencies[agency.name], t, "reply", note="已处理", now=reply)
            act(desk, t, "complete", now=reply)
        if callback is not None:
            when, satisfaction = callback
            act(desk, t, "callback", solved=True, satisfaction=satisfaction, now=when)
        return t

    household = r1.buildings[0].units[0].households[0]
    ticket(r1, quality, bj(11, 18, 9), bj(11, 19, 12), agency=k, household=household)              # T1
    ticket(r1, quality, bj(11, 19, 10), bj(11, 21, 10), caller_phone=CALLER_PHONE, channel="community_hotline")
    ticket(r1, noise, bj(11, 10, 9), bj(11, 25, 12), agency=s, reply=bj(11, 12, 10))                # T3
    ticket(r1, quality, bj(11, 5, 9), bj(11, 8, 12), agency=k, reply=bj(11, 7, 10),
           callback=(bj(11, 9, 10), "satisfied"))                                                     # T4
    ticket(r2, quality, bj(11, 15, 9), bj(11, 17, 12), agency=k2, reply=bj(11, 18, 10),
           callback=(bj(11, 19, 10), "dissatisfied"))                                                 # T5
    act(desk, ticket(r1, noise, bj(11, 20, 8)), "reject", note="不属于工程", now=bj(11, 20, 8))          # T6
    ticket(r3, quality, bj(11, 19, 9), bj(11, 22, 12))                                               # T7
    ticket(r1, quality, bj(11, 19, 11), bj(11, 20, 18), agency=k, channel="patrol")                  # T8
    recorder = make_user("owner_rep", communities=[r1, r3])
    for community, rectified in ((r1, None), (r1, bj(11, 15, 9)), (r3, None)):
        db.session.add(PatrolFinding(community=community, category=quality, source="resident_supervisor",
                                     description="脚手架未设防护网", contractor_id=community.contractor_id,
                                     found_at=bj(11, 12, 9), rectified_at=rectified, recorded_by_id=recorder.id))
    db.session.commit()
    return {"r1": r1, "r2": r2, "r3": r3, "k": k, "k2": k2, "desk": desk, "agencies": agencies,
            "household_phone": household.phone}


def states(rows):
    return {row["state"]: row["count"] for row in rows if row["count"]}


def rates(row):
    return (row["due"], row["answered_in_time"], row["response_rate"], row["callbacks"], row["solved"],
            row["resolution_rate"], row["satisfied"], row["satisfaction_rate"])


def test_the_desk_figures_of_a_city_wide_hotline_user(world):
    figures = desk_dashboard(world["desk"], now=NOW)
    assert [row["state"] for row in figures["by_state"]][:2] == ["received", "dispatched"]   # the flow's order
    assert states(figures["by_state"]) == {"received": 2, "dispatched": 1, "handling": 1, "completed": 1}
    assert figures["by_due"] == {"overdue": 1, "due_soon": 2, "later": 2, "total": 5}

    flow = {row["day"]: (row["new"], row["closed"]) for row in figures["flow"]}
    assert len(figures["flow"]) == 28 and figures["flow"][0]["day"] == date(2025, 10, 24)
    assert figures["flow"][-1]["day"] == date(2025, 11, 20)
    assert {day: counts for day, counts in flow.items() if counts != (0, 0)} == {
        date(2025, 11, 5): (1, 0), date(2025, 11, 9): (0, 1), date(2025, 11, 10): (1, 0), date(2025, 11, 15): (1, 0),
        date(2025, 11, 18): (1, 0), date(2025, 11, 19): (2, 1), date(2025, 11, 20): (1, 0)}

    assert figures["start"] == bj(10, 22, 0) and figures["end"] == bj(11, 21, 0)
    assert rates(figures["by_agency"]["total"]) == (3, 1, pytest.approx(1 / 3), 2, 2, 1.0, 1, 0.5)
    agencies = {row["label"]: rates(row) for row in figures["by_agency"]["rows"]}
    assert agencies == {"甲施工": (2, 1, 0.5, 1, 1, 1.0, 1, 1.0), "丙施工": (1, 0, 0.0, 1, 1, 1.0, 0, 0.0)}

    categories = figures["by_category"]
    assert [row["code"] for row in categories] == ["construction_quality", "noise"]
    quality, noise = categories
    assert (quality["received"], quality["open"]) == (5, 3)
    assert rates(quality) == (3, 1, pytest.approx(1 / 3), 2, 2, 1.0, 1, 0.5)
    assert (noise["received"], noise["open"]) == (2, 1)
    assert rates(noise) == (0, 0, None, 0, 0, None, 0, None)

    assert figures["findings"]["open"] == 2 and figures["findings"]["rectified"] == 1
    assert figures["findings"]["by_category"] == [{"code": "construction_quality", "label": "施工质量", "open": 2,
                                                   "rectified": 1}]


def test_the_figures_follow_the_users_scope(world, make_user):
    organiser = make_user("organiser", communities=[world["r1"]])
    figures = desk_dashboard(organiser, now=NOW)
    assert states(figures["by_state"]) == {"received": 1, "dispatched": 1, "handling": 1, "completed": 1}
    assert (figures["findings"]["open"], figures["findings"]["rectified"]) == (1, 1)

    district = db.session.scalar(select(District).filter_by(name="朝阳区"))
    other = make_user("organiser", district=district)
    figures = desk_dashboard(other, now=NOW)
    assert states(figures["by_state"]) == {"received": 1}
    assert figures["by_due"]["total"] == 1 and figures["by_agency"]["rows"] == []
    assert sum(row["new"] for row in figures["flow"]) == 1
    assert (figures["findings"]["open"], figures["findings"]["rectified"]) == (1, 0)

    figures = desk_dashboard(world["agencies"]["甲施工"], now=NOW)
    assert states(figures["by_state"]) == {"dispatched": 1, "handling": 1}   # T8, T1
    assert [row["label"] for row in figures["by_agency"]["rows"]] == ["甲施工"]
    assert (figures["findings"]["open"], figures["findings"]["rectified"]) == (1, 1)


def test_the_complaints_of_one_community(world):
    figures = community_complaints(world["r1"], now=NOW)
    assert states(figures["by_state"]) == {"received": 1, "dispatched": 1, "handling": 1, "completed": 1}
    assert figures["by_due"] == {"overdue": 1, "due_soon": 2, "later": 1, "total": 4}
    assert rates(figures["rates"]) == (2, 1, 0.5, 1, 1, 1.0, 1, 1.0)
    assert [(row["code"], row["received"], row["open"]) for row in figures["by_category"]] == [
        ("construction_quality", 3, 2), ("noise", 2, 1)]
    assert (figures["findings"]["open"], figures["findings"]["rectified"]) == (1, 1)
    assert set(community_complaints(world["r1"], now=NOW, tickets=False)) == {"start", "end", "rate_days",
                                                                             "findings"}


def test_days_are_beijing_days():
    days, start, end = last_days(datetime(2025, 11, 19, 16, 30, tzinfo=timezone.utc), 2)   # 11-20 00:30 Beijing
    assert days == [date(2025, 11, 19), date(2025, 11, 20)]
    assert (start, end) == (bj(11, 19, 0), bj(11, 21, 0))


def test_an_empty_scope_gives_zeros_not_errors(make_user, reference_data):
    figures = desk_dashboard(make_user("hotline"), now=NOW)
    assert figures["by_due"]["total"] == 0 and figures["by_category"] == []
    assert figures["by_agency"]["total"]["response_rate"] is None
    assert all(row["new"] == 0 for row in daily_flow(now=NOW))


# --- the pages ------------------------------------------------------------------------------------------------------

@pytest.fixture
def at_now(monkeypatch):
    """The pages read the clock through the operations module: pin it to NOW."""
    monkeypatch.setattr("participation.complaints.dashboard.utcnow", lambda: NOW)


def _no_phones(html: str, world) -> None:
    for phone in (CALLER_PHONE, world["household_phone"], "139****5678"):
        assert phone not in html


def test_the_desk_page_draws_each_chart_with_its_table(client, login_as, world, at_now):
    login_as("hotline")
    response = client.get("/hotline/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("state", "due", "flow", "agency", "category", "findings"):
        assert f'id="chart-{name}"' in html and f'id="chart-{name}-data"' in html
    for table in ("table-by-state", "table-by-due", "table-flow", "table-by-agency", "table-by-category",
                  "table-findings"):
        assert f'id="{table}"' in html
    assert '<tr data-state="received"><th scope="row">' in html
    assert "plotly-basic-4.1.1.min.js" in html
    _no_phones(html, world)
    queue = client.get("/hotline").get_data(as_text=True)
    assert 'href="/hotline/dashboard"' in queue


def test_the_desk_page_roles_and_scope(client, auth, make_user, world):
    district = db.session.scalar(select(District).filter_by(name="朝阳区"))
    make_user("organiser", username="faraway", district=district)
    make_user("grid", username="gridder", buildings=[world["r1"].buildings[0]])
    make_user("owner_rep", username="rep", communities=[world["r1"]])
    db.session.commit()
    for username in ("gridder", "rep"):
        auth.login(username)
        assert client.get("/hotline/dashboard").status_code == 403
        auth.logout()
    auth.login("faraway")
    html = client.get("/hotline/dashboard").get_data(as_text=True)
    assert "甲施工" not in html and "R1" not in html
    assert client.get("/c/R1/dashboard").status_code == 404
    auth.logout()
    auth.login(world["agencies"]["丙施工"].username)
    response = client.get("/hotline/dashboard")   # an agency reads the queue, so its own charts: no open ticket
    assert response.status_code == 200
    assert 'id="chart-state"' not in response.get_data(as_text=True)
    assert client.get("/hotline/dashboard").status_code == 200


def test_the_organiser_dashboard_has_a_complaints_section(client, login_as, world, at_now):
    login_as("organiser", world["r1"])
    response = client.get("/c/R1/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="dash-complaints"' in html and 'id="complaint-figures"' in html
    for name in ("complaint_state", "complaint_due", "complaint_category", "complaint_findings"):
        assert f'id="chart-{name}"' in html
    for table in ("table-by-state", "table-by-due", "table-by-category", "table-findings"):
        assert f'id="{table}"' in html
    assert "丁施工" not in html   # R3's figures stay out
    _no_phones(html, world)


def test_owner_representatives_see_the_patrol_findings_only(client, login_as, world):
    login_as("owner_rep", world["r1"])
    html = client.get("/c/R1/dashboard").get_data(as_text=True)
    assert 'id="dash-complaints"' in html and 'id="chart-complaint_findings"' in html
    assert 'id="complaint-figures"' not in html and 'id="table-by-state"' not in html


def test_a_rates_chart_without_any_rate_is_not_drawn(app):
    from participation.complaints.charts import RATE_NAMES, rates_chart
    empty = [{"label": "施工质量"} | {key: None for key in RATE_NAMES}]
    assert rates_chart(empty) is None and rates_chart([]) is None
    some = [empty[0] | {next(iter(RATE_NAMES)): 0.5}]
    assert rates_chart(some) is not None


def test_small_counts_get_whole_number_ticks(app):
    from participation.complaints.charts import findings_chart
    figure = findings_chart({"total": 6, "by_category": [{"label": "施工质量", "open": 3, "rectified": 0},
                                                         {"label": "施工安全", "open": 2, "rectified": 1}]})
    assert figure.layout.xaxis.dtick == 1 and figure.layout.xaxis.tickformat == "d"
    assert figure.layout.xaxis.title.text
    many = findings_chart({"total": 60, "by_category": [{"label": "施工质量", "open": 40, "rectified": 20}]})
    assert many.layout.xaxis.dtick is None
