"""``flask votes create | import-ballots | tally`` exactly as DESIGN §8 (民法典第二百七十八条)."""
import csv
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Ballot, BallotChange, OwnerVerification, Vote

KEYS = {"matter", "class", "area_total", "area_participating", "area_yes", "headcount_total",
        "headcount_participating", "headcount_yes", "quorum_met", "passed"}


@pytest.fixture
def community(make_community):
    community = make_community("220102950", buildings=2, units=2, floors=2, per_floor=2)
    db.session.commit()
    return community


def write_csv(path, rows, headers=("楼栋", "单元", "房号", "选择")):
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def create(runner, *args) -> int:
    result = runner.invoke(args=["votes", "create", *args])
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def ballots() -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot))


def test_create_opens_at_once_and_prints_the_id(runner, community):
    """民法典第二百七十八条第一款第七项 (加装电梯, special) for one 单元; --draft keeps it a draft."""
    vote_id = create(runner, "--community", community.code, "--matter", "7", "--unit", "1-2", "--title", "加装电梯")
    vote = db.session.get(Vote, vote_id)
    assert (vote.status, vote.matter_class, vote.scope, vote.unit.name, vote.unit.building.name) == (
        "open", "special", "unit", "2", "1")
    draft_id = create(runner, "--community", community.code, "--matter", "4", "--buildings", "1,2", "--title",
                      "物业", "--draft")
    draft = db.session.get(Vote, draft_id)
    assert draft.status == "draft" and draft.matter_class == "ordinary" and len(draft.buildings) == 2
    whole = db.session.get(Vote, create(runner, "--community", community.code, "--matter", "5", "--title", "维修资金"))
    assert whole.scope == "community" and whole.matter_class == "ordinary"


@pytest.mark.parametrize("args", [
    ["--community", "NOPE", "--matter", "7", "--title", "x"],
    ["--community", "220102950", "--matter", "10", "--title", "x"],
    ["--community", "220102950", "--matter", "7", "--unit", "9-9", "--title", "x"],
    ["--community", "220102950", "--matter", "7", "--buildings", "1,9", "--title", "x"],
    ["--community", "220102950", "--matter", "7", "--buildings", "1", "--unit", "1-1", "--title", "x"],
    ["--community", "220102950", "--matter", "7", "--title", " "],
])
def test_create_refuses_bad_input_and_creates_nothing(runner, community, args):
    """民法典第二百七十八条: a vote names one of items 1–9 and a scope inside the community; anything else is
    refused with exit ≠ 0 and nothing is created."""
    result = runner.invoke(args=["votes", "create", *args])
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0


def test_import_ballots_then_tally_json(runner, community, tmp_path):
    """民法典第二百七十八条第二款: 8 owners of 单元 1-1… imported on paper; 6 of 8 take part (≥ ⅔), 5 yes of 6
    (≥ ¾) — the special matter passes; the JSON is DESIGN §8's."""
    vote_id = create(runner, "--community", community.code, "--matter", "7", "--buildings", "1", "--title", "电梯")
    rows = [("1", "1", "101", "同意"), ("1", "1", "102", "同意"), ("1号楼", "1单元", "201", "同意"),
            ("1", "2", "101", "同意"), ("1", "2", "102", "同意"), ("1", "2", "201", "弃权")]
    result = runner.invoke(args=["votes", "import-ballots", str(write_csv(tmp_path / "票.csv", rows)),
                                 "--vote", str(vote_id)])
    assert result.exit_code == 0, result.output
    assert ballots() == 6
    assert db.session.scalar(select(func.count()).select_from(OwnerVerification)
                             .where(OwnerVerification.method == "in_person")) == 6
    assert set(db.session.scalars(select(Ballot.channel))) == {"paper"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.import_ballots"))
    assert event.channel == "cli" and event.detail["rows"] == 6
    result = runner.invoke(args=["votes", "tally", str(vote_id), "--json"])
    assert result.exit_code == 0, result.output
    tally = json.loads(result.stdout)
    assert KEYS <= set(tally)
    assert {key: tally[key] for key in KEYS} == {
        "matter": 7, "class": "special", "area_total": "484.00", "area_participating": "363.00",
        "area_yes": "302.50", "headcount_total": 8, "headcount_participating": 6, "headcount_yes": 5,
        "quorum_met": True, "passed": True}
    plain = runner.invoke(args=["votes", "tally", str(vote_id)])
    assert plain.exit_code == 0 and "363.00" in plain.stdout


def test_import_ballots_is_all_or_nothing_with_row_numbered_errors(runner, community, tmp_path):
    """民法典第二百七十八条: one bad row refuses the whole file (exit 1, row numbers in the errors); two rows of
    one owner are refused (one ballot per owner)."""
    unit = community.buildings[0].units[0]
    first, second = unit.households[0], unit.households[1]
    first.owner_key = second.owner_key = "owner-A"   # before the vote opens: its register is frozen then
    db.session.commit()
    vote_id = create(runner, "--community", community.code, "--matter", "4", "--unit", "1-1", "--title", "物业")
    assert db.session.get(Vote, vote_id).unit_id == unit.id
    rows = [("1", "1", "101", "同意"), ("1", "1", "999", "同意"), ("1", "1", "201", "也许"), ("1", "1", "102", "反对"),
            ("2", "1", "101", "同意")]
    result = runner.invoke(args=["votes", "import-ballots", str(write_csv(tmp_path / "bad.csv", rows)),
                                 "--vote", str(vote_id)])
    assert result.exit_code == 1
    errors = result.stderr
    assert "999" in errors and "也许" in errors and "2-1-101" in errors
    for row in ("3", "4", "5", "6"):
        assert row in errors
    assert ballots() == 0 and db.session.scalar(select(func.count()).select_from(BallotChange)) == 0
    missing = runner.invoke(args=["votes", "import-ballots",
                                  str(write_csv(tmp_path / "cols.csv", [("1", "1", "101")], ("楼栋", "单元", "房号"))),
                                  "--vote", str(vote_id)])
    assert missing.exit_code == 1 and "选择" in missing.stderr


def test_import_ballots_reads_xlsx_and_changes_earlier_ballots(runner, community, tmp_path):
    """民法典第二百七十八条: owners may change their ballot until close — a second paper file changes, not adds."""
    vote_id = create(runner, "--community", community.code, "--matter", "4", "--unit", "2-2", "--title", "物业")
    workbook = Workbook()
    workbook.active.append(["楼栋", "单元", "房号", "选择"])
    workbook.active.append([2, 2, 101, "反对"])
    path = tmp_path / "票.xlsx"
    workbook.save(path)
    for _round in range(2):
        result = runner.invoke(args=["votes", "import-ballots", str(path), "--vote", str(vote_id)])
        assert result.exit_code == 0, result.output
    assert ballots() == 1 and db.session.scalar(select(func.count()).select_from(BallotChange)) == 2


def test_import_and_tally_refuse_unknown_or_closed_votes(runner, community, tmp_path):
    """民法典第二百七十八条: ballots go only into an open vote."""
    path = write_csv(tmp_path / "票.csv", [("1", "1", "101", "同意")])
    assert runner.invoke(args=["votes", "import-ballots", str(path), "--vote", "999"]).exit_code == 1
    assert runner.invoke(args=["votes", "tally", "999", "--json"]).exit_code == 1
    draft_id = create(runner, "--community", community.code, "--matter", "4", "--title", "物业", "--draft")
    result = runner.invoke(args=["votes", "import-ballots", str(path), "--vote", str(draft_id)])
    assert result.exit_code == 1 and ballots() == 0
