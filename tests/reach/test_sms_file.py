"""The file SMS backend writes exactly the line DESIGN §8 pins, and lines from several processes never mix."""
import json
import multiprocessing

import pytest

from participation.reach.channels import DeliveryError, Sms, SmsConfig
from participation.reach.channels.sms import sender


def _sms(**overrides):
    values = dict(phone="13800138000", kind="ticket.replied", template="SMS_100", params={"receipt": "投诉-0007"},
                  community="NG001", key="delivery-7")
    values.update(overrides)
    return Sms(**values)


def test_each_sms_is_one_json_line_of_the_pinned_shape(tmp_path):
    path = tmp_path / "sms.jsonl"
    backend = sender(SmsConfig(provider="file", file_path=str(path)))

    first = backend.send(_sms())
    backend.send(_sms(kind="survey.opened", template="survey.opened", key="delivery-8",
                      params={"community": "南苑小区", "title": "加装电梯", "deadline": "12月20日"}))

    assert first == "file-delivery-7"
    raw = path.read_text(encoding="utf-8")
    assert "南苑小区" in raw          # ensure_ascii=False: Chinese as written, not \u escapes
    lines = [json.loads(line) for line in raw.splitlines()]
    assert lines[0] == {"phone": "13800138000", "kind": "ticket.replied", "template": "SMS_100",
                        "params": {"receipt": "投诉-0007"}, "community": "NG001"}
    assert list(lines[1]["params"]) == ["community", "title", "deadline"]


def test_a_line_is_appended_never_overwriting(tmp_path):
    path = tmp_path / "sms.jsonl"
    path.write_text('{"earlier": true}\n', encoding="utf-8")

    sender(SmsConfig(provider="file", file_path=str(path))).send(_sms())

    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_an_sms_without_a_key_still_gets_a_distinct_provider_id(tmp_path):
    backend = sender(SmsConfig(provider="file", file_path=str(tmp_path / "sms.jsonl")))

    ids = {backend.send(_sms(key="")) for _ in range(3)}

    assert len(ids) == 3 and all(id_.startswith("file-") for id_ in ids)


def test_no_file_configured_fails_permanently():
    with pytest.raises(DeliveryError) as caught:
        sender(SmsConfig(provider="file", file_path="")).send(_sms())

    assert caught.value.temporary is False


def test_an_unwritable_path_is_a_temporary_failure_without_the_phone(tmp_path):
    backend = sender(SmsConfig(provider="file", file_path=str(tmp_path / "missing-folder" / "sms.jsonl")))

    with pytest.raises(DeliveryError) as caught:
        backend.send(_sms())

    assert caught.value.temporary is True
    assert "13800138000" not in str(caught.value)


@pytest.mark.parametrize("provider", ["off", "", "twilio"])
def test_no_sender_for_off_or_unknown_providers(provider):
    with pytest.raises(ValueError):
        sender(SmsConfig(provider=provider))


def _append_many(path, worker, count):
    backend = sender(SmsConfig(provider="file", file_path=path))
    # Long lines (well past a stdio buffer) are the ones a buffered writer would split and interleave.
    filler = "长" * 6000
    for number in range(count):
        backend.send(_sms(key=f"{worker}-{number}", params={"receipt": f"{worker}-{number}", "filler": filler}))


def test_two_processes_appending_at_once_never_interleave_lines(tmp_path):
    path = str(tmp_path / "sms.jsonl")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, worker, 150)) for worker in ("a", "b")]
    for process in workers:
        process.start()
    for process in workers:
        process.join()

    assert [process.exitcode for process in workers] == [0, 0]
    with open(path, encoding="utf-8") as lines:
        receipts = [json.loads(line)["params"]["receipt"] for line in lines]
    assert sorted(receipts) == sorted(f"{worker}-{number}" for worker in ("a", "b") for number in range(150))
