"""Fault injection: make matching provider requests fail, in the provider's own error format.

The injector only decides *whether* a request fails and with what; each provider adapter renders the
answer in its native envelope (Tencent ``code``, ZEGO ``Code``, Volcengine ``ResponseMetadata.Error``).
A rule with ``times`` that is used up stays listed (``times_left`` 0, with its ``hits``) until it is deleted
or the injector cleared, so a test can still see which fault answered.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FaultRule:
    provider: str
    action: str  # the provider's action name, or "*" for every action of the provider
    code: int | str | None = None  # native error code; None with delay_ms = only slow, not failing
    http_status: int | None = None  # None = the provider's usual status for errors
    message: str | None = None  # None = the provider's usual message for the code
    times: int | None = None  # how many requests fail; None = until deleted
    probability: float = 1.0
    delay_ms: int = 0
    seed: int | None = None
    # A skew rule answers nothing: its provider checks signature times as if its clock were this far off.
    clock_skew_s: float | None = None
    id: int = 0
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    @property
    def times_left(self) -> int | None:
        """Requests it may still fail; None = no limit, 0 = used up (kept for the record)."""
        return None if self.times is None else max(0, self.times - self.hits)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_rng")
        data["times_left"] = self.times_left
        return data


class FaultInjector:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        if not 0.0 <= rule.probability <= 1.0:
            raise ValueError("probability: between 0 and 1")
        if rule.times is not None and rule.times < 1:
            raise ValueError("times: at least 1")
        if rule.delay_ms < 0:
            raise ValueError("delay_ms: not negative")
        rule.id = next(self._ids)
        rule._rng = random.Random(rule.seed)
        with self._lock:
            self._rules.append(rule)
        return rule

    def match(self, provider: str, action: str, *, skew: bool = False) -> FaultRule | None:
        """The rule that fires for this request, if any; consumes one of its ``times``.
        ``skew``: look among the clock-skew rules (asked at the signature check) instead of the others."""
        with self._lock:
            for rule in self._rules:
                if rule.provider != provider or rule.action not in ("*", action) or rule.times_left == 0:
                    continue
                if (rule.clock_skew_s is not None) != skew:
                    continue
                if rule._rng.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None

    def list(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule.id == rule_id:
                    self._rules.remove(rule)
                    return True
        return False

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
