"""The three rates of DESIGN §5 on a fixture worked out by hand, per community, per agency and per period; the
complaint hot spots and their flag in the plan inputs.

Week 2025-W45 in Beijing time: Mon 2025-11-03 00:00 → Mon 2025-11-10 00:00 (UTC: 11-02 16:00 → 11-09 16:00).
Two communities: R1 (contractor 甲施工, supervisor 乙监理) and R2 (contractor 丙施工). Times below are Beijing.

    ticket  comm  agency  due (set by hand)   first reply        call-back(s)                       note
    T1      R1    甲施工   Tue 11-04 12:00     Mon 11-03 10:00    Wed 11-05: solved, 满意             in time
    T2      R1    甲施工   Wed 11-05 12:00     Thu 11-06 10:00    Fri 11-07: solved, 不满意           late
    T3      R1    乙监理   Thu 11-06 12:00     —                  —                                   overdue
    T4      R1    —       Fri 11-07 12:00     —                  —                                   rejected: not due
    T6      R1    甲施工   Fri 11-07 12:00     Wed 11-05 11:00    —                                   channel patrol: out
    T7      R1    甲施工   Sat 11-08 12:00     Thu 11-06 10:00    Sat 11-08: NOT solved, 不满意 → 重办,
                           → moved to Fri 11-14 12:00 (W46) by hand after the 重办 call-back
    T10     R1    甲施工   Mon 10-27 (W44)     Mon 10-27          Thu 11-06: 回访未接通 (not answered)
    T8      R2    丙施工   Sat 11-08 12:00     Fri 11-07 10:00    Sun 11-09 20:00: solved, 基本满意
    T9      R2    丙施工   Sun 11-09 23:00     Sun 11-09 09:00    Mon 11-10 08:00 (W46!): solved, 满意
    T5      R1    甲施工   Wed 11-12 (W46)     Tue 11-11 10:00    —

W45, all communities
    due: T1 T2 T3 T8 T9 = 5 (T4 rejected, T6 patrol, T7 moved to W46, T10 due in W44); answered by due: T1 T8 T9 = 3
        响应率 = 3/5 = 0.6
    call-backs answered in W45: T1 T2 T7 T8 = 4 (T10 unanswered, T9's is Monday 08:00 of W46)
        solved: T1 T2 T8 = 3 → 解决率 = 3/4 = 0.75;  满意+基本满意: T1 T8 = 2 → 满意率 = 2/4 = 0.5
R1: due T1 T2 T3 = 3, in time T1 = 1 → 1/3; call-backs T1 T2 T7 = 3, solved 2 → 2/3, satisfied 1 → 1/3
R2: due T8 T9 = 2, in time 2 → 1.0; call-backs T8 = 1 → 1.0, 1.0
By agency: 甲施工 due T1 T2 = 2, in time 1 → 0.5; call-backs T1 T2 T7 = 3 → 2/3, 1/3
           乙监理 due T3 = 1, in time 0 → 0.0; no call-back → None, None
           丙施工 = R2
By period W45, W46: W45 as above; W46 due T5, T7 = 2, both first answered before their due → 1.0;
                    call-backs T9 = 1, solved, 满意 → 1.0, 1.0
A patrol finding in R1 in W45 changes none of it.
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from participation.complaints.operations import act, file_ticket
from participation.complaints.patrols import record_finding
from participation.complaints.rates import (HOTSPOT_DAYS, complaint_hotspots, complaint_rates, iso_week,
                                            periods_between, week_of)
from participation.extensions import db
from participation.models import ComplaintCategory, Organisation

BJ = ZoneInfo("Asia/Shanghai")


def bj(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=BJ).astimezone(timezone.utc)


@pytest.fixture
def world(make_community, make_user, reference_data):
    k, s, k2 = (Organisation(name="甲施工", kind="contractor"), Organisation(name="乙监理", kind="supervisor"),
                Organisation(name="丙施工", kind="contractor"))
    db.session.add_all([k, s, k2])
    r1 = make_community("R1", contractor=k, supervisor=s)
    r2 = make_community("R2", contractor=k2)
    users = {"desk": make_user("hotline"), k.name: make_user("agency", organisation=k),
             s.name: make_user("agency", organisation=s), k2.name: make_user("agency", organisation=k2),
             "owner_rep": make_user("owner_rep", communities=[r1])}
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))

    def ticket(community, agency, due, *, filed=None, reply=None, callbacks=(), channel="web", reject=False):
        t = file_ticket(users["desk"], community, category=category, description="墙皮脱落",
                        channel=channel, now=filed or due - timedelta(days=3))
        t.due_at = due
        if reject:
            act(users["desk"], t, "reject", note="不属于工程", now=t.received_at)
            return t
        if agency is not None:
            act(users["desk"], t, "dispatch", agency=agency, now=t.received_at)
            act(users[agency.name], t, "sign", now=t.received_at)
        if reply is not None:
            act(users[agency.name], t, "reply", note="已处理", now=reply)
            act(users["desk"], t, "complete", now=reply)
        for when, solved, satisfaction in callbacks:
            if solved is None:
                act(users["desk"], t, "callback_unreachable", now=when)
            else:
                act(users["desk"], t, "callback", solved=solved, satisfaction=satisfaction, now=when)
        return t

    ticket(r1, k, bj(11, 4, 12), reply=bj(11, 3, 10), callbacks=[(bj(11, 5, 10), True, "satisfied")])       # T1
    ticket(r1, k, bj(11, 5, 12), reply=bj(11, 6, 10), callbacks=[(bj(11, 7, 10), True, "dissatisfied")])    # T2
    ticket(r1, s, bj(11, 6, 12))                                                                              # T3
    ticket(r1, None, bj(11, 7, 12), reject=True)                                                             # T4
    ticket(r1, k, bj(11, 7, 12), reply=bj(11, 5, 11), channel="patrol")                                      # T6
    t7 = ticket(r1, k, bj(11, 8, 12), reply=bj(11, 6, 10), callbacks=[(bj(11, 8, 12), False, "dissatisfied")])
    assert t7.state == "dispatched"   # 重办
    t7.due_at = bj(11, 14, 12)
    ticket(r1, k, bj(10, 27, 18), filed=bj(10, 24, 9), reply=bj(10, 27, 10),
           callbacks=[(bj(11, 6, 10), None, None)])                                                          # T10
    ticket(r2, k2, bj(11, 8, 12), reply=bj(11, 7, 10), callbacks=[(bj(11, 9, 20), True, "basically_satisfied")])
    ticket(r2, k2, bj(11, 9, 23), reply=bj(11, 9, 9), callbacks=[(bj(11, 10, 8), True, "satisfied")])       # T9
    ticket(r1, k, bj(11, 12, 12), reply=bj(11, 11, 10))                                                      # T5
    record_finding(users["owner_rep"], r1, category, "脚手架未设防护网", now=bj(11, 5, 9))
    db.session.commit()
    return {"r1": r1, "r2": r2, "k": k, "s": s, "k2": k2, "category": category, "users": users}


def figures(row):
    return (row["due"], row["answered_in_time"], row["response_rate"], row["callbacks"], row["solved"],
            row["resolution_rate"], row["satisfied"], row["satisfaction_rate"])


def test_iso_week_runs_monday_to_monday_in_beijing_time():
    week = iso_week("2025-w45")
    assert week.key == "2025-W45"
    assert week.start == datetime(2025, 11, 2, 16, tzinfo=timezone.utc)
    assert week.end == datetime(2025, 11, 9, 16, tzinfo=timezone.utc)
    assert week_of(datetime(2025, 11, 2, 16, tzinfo=timezone.utc)) == "2025-W45"          # Mon 00:00 Beijing
    assert week_of(datetime(2025, 11, 2, 15, 59, tzinfo=timezone.utc)) == "2025-W44"      # Sun 23:59 Beijing
    for bad in ("2025-W54", "2025W45", "", "abcd-W1", "2025-W00"):
        with pytest.raises(ValueError):
            iso_week(bad)


def test_the_three_rates_for_the_week(world):
    week = iso_week("2025-W45")
    total = complaint_rates(week.start, week.end)["total"]
    assert figures(total) == (5, 3, 0.6, 4, 3, 0.75, 2, 0.5)


def test_per_community(world):
    week = iso_week("2025-W45")
    rows = {row["code"]: row for row in complaint_rates(week.start, week.end, by="community")["rows"]}
    assert set(rows) == {"R1", "R2"}
    assert figures(rows["R1"]) == (3, 1, pytest.approx(1 / 3), 3, 2, pytest.approx(2 / 3), 1, pytest.approx(1 / 3))
    assert figures(rows["R2"]) == (2, 2, 1.0, 1, 1, 1.0, 1, 1.0)
    only_r2 = complaint_rates(week.start, week.end, communities=[world["r2"].id])["total"]
    assert figures(only_r2) == figures(rows["R2"])


def test_per_agency_with_none_when_nobody_was_called_back(world):
    week = iso_week("2025-W45")
    rows = {row["label"]: row for row in complaint_rates(week.start, week.end, by="agency")["rows"]}
    assert figures(rows["甲施工"]) == (2, 1, 0.5, 3, 2, pytest.approx(2 / 3), 1, pytest.approx(1 / 3))
    assert figures(rows["乙监理"]) == (1, 0, 0.0, 0, 0, None, 0, None)
    assert figures(rows["丙施工"]) == (2, 2, 1.0, 1, 1, 1.0, 1, 1.0)
    own = complaint_rates(week.start, week.end, agency_id=world["s"].id)["total"]
    assert figures(own) == figures(rows["乙监理"])


def test_per_period_splits_at_beijing_midnight(world):
    periods = periods_between(datetime(2025, 11, 5).date(), datetime(2025, 11, 12).date())
    assert [p.key for p in periods] == ["2025-W45", "2025-W46"]
    result = complaint_rates(periods[0].start, periods[-1].end, by="period", periods=periods)
    rows = {row["key"]: row for row in result["rows"]}
    assert figures(rows["2025-W45"]) == (5, 3, 0.6, 4, 3, 0.75, 2, 0.5)
    assert figures(rows["2025-W46"]) == (2, 2, 1.0, 1, 1, 1.0, 1, 1.0)
    assert figures(result["total"]) == (7, 5, pytest.approx(5 / 7), 5, 4, 0.8, 3, 0.6)


def test_an_empty_period_has_no_rates():
    week = iso_week("2030-W01")
    assert figures(complaint_rates(week.start, week.end)["total"]) == (0, 0, None, 0, 0, None, 0, None)


def test_months():
    months = periods_between(datetime(2025, 11, 20).date(), datetime(2026, 1, 3).date(), unit="month")
    assert [m.key for m in months] == ["2025-11", "2025-12", "2026-01"]
    assert months[1].start == datetime(2025, 11, 30, 16, tzinfo=timezone.utc)


# --- hot spots ------------------------------------------------------------------------------------------------------

def test_hotspot_needs_three_open_or_recent_tickets_of_one_category_in_a_building(world):
    from participation.models.types import utcnow
    r1, desk, category = world["r1"], world["users"]["desk"], world["category"]
    noise = db.session.scalar(select(ComplaintCategory).filter_by(code="noise"))
    building = r1.buildings[1]
    now = utcnow()
    old = file_ticket(desk, r1, category=category, description="旧", building=building,
                      now=now - timedelta(days=HOTSPOT_DAYS + 5))
    act(desk, old, "reject", note="不属实", now=old.received_at)   # old and closed: not counted
    for day in (1, 2):
        file_ticket(desk, r1, category=category, description="楼顶渗水", building=building,
                    now=now - timedelta(days=day))
    file_ticket(desk, r1, category=noise, description="夜间施工", building=building, now=now)
    db.session.commit()
    assert complaint_hotspots(r1, now) == []       # two of one category, one of another

    third = file_ticket(desk, r1, category=category, description="又渗水了", building=building, now=now)
    db.session.commit()
    spots = complaint_hotspots(r1, now)
    assert [(s["building"], s["category"], s["tickets"], s["open"]) for s in spots] == \
        [(building.name, "construction_quality", 3, 3)]
    assert building.name in spots[0]["message"] and "3" in spots[0]["message"]

    act(desk, third, "mark_duplicate", original=old, now=now)   # a duplicate does not count
    db.session.commit()
    assert complaint_hotspots(r1, now) == []


def test_hotspot_shows_as_a_plan_inputs_flag(world, app):
    from participation.models.types import utcnow
    from participation.plans.inputs import plan_inputs
    r1, desk, category = world["r1"], world["users"]["desk"], world["category"]
    building = r1.buildings[0]
    for _n in range(3):
        file_ticket(desk, r1, category=category, description="外墙开裂", building=building, now=utcnow())
    db.session.commit()
    flags = [flag for flag in plan_inputs(r1)["flags"] if flag["kind"] == "complaint_hotspot"]
    assert len(flags) == 1 and flags[0]["building"] == building.name and flags[0]["tickets"] == 3
    assert not [flag for flag in plan_inputs(world["r2"])["flags"] if flag["kind"] == "complaint_hotspot"]
