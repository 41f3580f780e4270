"""The request journal's and the fault injector's own bookkeeping: ids from 1, the journal's default and
smallest sizes, and form bodies redacted with their blank fields kept."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.core.callbacks import Attempt, CallbackDispatcher
from emulator.core.clock import EmulatorClock
from emulator.core.faults import FaultInjector, FaultRule
from emulator.core.job import MixJob
from emulator.core.journal import RequestJournal, redact_text
from emulator.core.outbound import OutboundPolicy


def _record(journal: RequestJournal, n: int, body: bytes = b"") -> Any:
    return journal.record(
        time=float(n),
        provider="zego",
        action=f"A{n}",
        method="POST",
        path="/",
        query={},
        headers={},
        body=body,
        status=200,
        response=b"",
        duration_ms=1.0,
    )


def test_the_journal_keeps_the_newest_1000_by_default_numbered_from_1() -> None:
    journal = RequestJournal()
    for n in range(1001):
        _record(journal, n)
    entries = journal.query()
    assert len(entries) == 1000
    assert (entries[0].id, entries[0].action, entries[-1].id) == (2, "A1", 1001)


def test_a_journal_of_size_0_or_less_still_keeps_the_last_entry() -> None:
    for size in (0, -5, 1):
        journal = RequestJournal(size)
        _record(journal, 1)
        _record(journal, 2)
        assert [e.action for e in journal.query()] == ["A2"], size
    two = RequestJournal(2)
    for n in range(3):
        _record(two, n)
    assert [e.action for e in two.query()] == ["A1", "A2"]


def test_form_bodies_keep_blank_fields_and_show_the_redaction_plainly() -> None:
    journal = RequestJournal()
    entry = _record(journal, 1, b"a=&Signature=abc&b=x%2Fy")
    assert entry.body == "a=&Signature=***&b=x%2Fy"


def test_fault_ids_start_at_1() -> None:
    faults = FaultInjector()
    first = faults.add(FaultRule(provider="zego", action="*", code=1))
    second = faults.add(FaultRule(provider="zego", action="*", code=2))
    assert (first.id, second.id) == (1, 2)


def test_job_errors_name_the_job() -> None:
    with pytest.raises(TypeError, match=r"^job: expected an object$"):
        MixJob.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^job\.nope: unknown field$"):
        MixJob.from_dict({"canvas": {"width": 2, "height": 2}, "nope": 1})
    with pytest.raises(TypeError, match=r"^job\.canvas: expected an object$"):
        MixJob.from_dict({"canvas": 5})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"probability": 1.0001}, "probability: between 0 and 1"),
        ({"probability": -0.0001}, "probability: between 0 and 1"),
        ({"times": 0}, "times: at least 1"),
        ({"delay_ms": -1}, "delay_ms: not negative"),
    ],
)
def test_fault_rules_out_of_range_are_refused_with_the_field_named(bad: dict, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        FaultInjector().add(FaultRule("zego", "StartMix", code=1, **bad))
    assert str(refused.value) == message


def test_fault_rules_at_the_edges_of_their_ranges_are_taken() -> None:
    faults = FaultInjector()
    for edge in ({"probability": 0.0}, {"probability": 1.0}, {"times": 1}, {"delay_ms": 0}):
        faults.add(FaultRule("zego", "StartMix", code=1, **edge))
    assert len(faults.list()) == 4


def test_secrets_in_free_text_are_replaced() -> None:
    assert redact_text("a=1&Signature=abc&b=2") == "a=1&Signature=***&b=2"


def test_the_clock_refuses_to_move_back_saying_so() -> None:
    with pytest.raises(ValueError) as refused:
        EmulatorClock().advance(-0.001)
    assert str(refused.value) == "seconds: the clock only moves forward"


def test_a_callback_refused_by_the_allow_list_records_when_it_was_refused() -> None:
    clock = EmulatorClock(lambda: 1000.0)
    dispatcher = CallbackDispatcher(clock, OutboundPolicy(["a.example"]))
    delivery = dispatcher.send("zego", "mix_start", "http://b.example/cb", {})
    assert delivery.gave_up and not delivery.delivered
    assert delivery.attempts == [
        Attempt(1000.0, None, "'b.example' is not in the outbound allow-list (outbound_allow)")
    ]
