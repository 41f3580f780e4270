import pytest

from emulator.core.faults import FaultInjector, FaultRule


def test_times_limit_then_rule_stays_listed_used_up() -> None:
    faults = FaultInjector()
    rule = faults.add(FaultRule("tencent", "start_mix_stream_advanced", code=-505, times=2))
    assert rule.to_dict()["times_left"] == 2
    assert faults.match("tencent", "cancel_mix_stream") is None
    assert faults.match("zego", "start_mix_stream_advanced") is None
    assert faults.match("tencent", "start_mix_stream_advanced").code == -505
    assert faults.match("tencent", "start_mix_stream_advanced").code == -505
    assert faults.match("tencent", "start_mix_stream_advanced") is None
    assert faults.list() == [rule]  # kept for the record until deleted or cleared
    assert (rule.to_dict()["times_left"], rule.hits, rule.times) == (0, 2, 2)
    assert faults.remove(rule.id) and faults.list() == []


def test_wildcard_and_removal() -> None:
    faults = FaultInjector()
    rule = faults.add(FaultRule("zego", "*", code=110200194))
    assert faults.match("zego", "StartMix") is rule and faults.match("zego", "StopMix") is rule
    assert rule.hits == 2
    assert faults.remove(rule.id) and not faults.remove(rule.id)
    assert faults.match("zego", "StartMix") is None


def test_probability_is_reproducible_with_a_seed() -> None:
    def pattern() -> list[bool]:
        faults = FaultInjector()
        faults.add(
            FaultRule("volcengine", "CreateCloudMixTask", code="InternalError", probability=0.5, seed=7)
        )
        return [faults.match("volcengine", "CreateCloudMixTask") is not None for _ in range(40)]

    first = pattern()
    assert first == pattern()
    assert 8 < sum(first) < 32  # about half


@pytest.mark.parametrize("bad", [{"probability": 1.5}, {"times": 0}, {"delay_ms": -1}])
def test_invalid_rules_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        FaultInjector().add(FaultRule("zego", "StartMix", code=1, **bad))
