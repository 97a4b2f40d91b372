"""Fault injection: what to do with one Gong call instead of (or on top of) answering it normally.

Every Gong call draws exactly four numbers from the fault RNG, whatever the settings, so the sequence of
random faults depends only on the fault seed and the call's position since the last reset.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Mapping
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from airflow_provider_gong.testing.config import EmulatorConfig

__all__ = [
    "FAULT_KINDS",
    "FaultDecision",
    "FaultKind",
    "decide",
    "render_retry_after",
    "validate_retry_after",
    "validate_scripted_answer",
]

FaultKind = Literal["drop", "hang", "fail_5xx", "fail_429", "truncate", "bad_shape"]
#: Random fault kinds, in the order their shares are stacked on the unit interval.
FAULT_KINDS: tuple[FaultKind, ...] = ("drop", "hang", "fail_5xx", "fail_429", "truncate", "bad_shape")

_SCRIPTED_FAULTS: dict[str, FaultKind | Literal["slow", "pass"]] = {
    "drop": "drop",
    "hang": "hang",
    "5xx": "fail_5xx",
    "fail_5xx": "fail_5xx",
    "429": "fail_429",
    "fail_429": "fail_429",
    "truncate": "truncate",
    "bad_shape": "bad_shape",
    "slow": "slow",
    "pass": "pass",
}
_SCRIPTED_KEYS = frozenset({"status", "fault", "retry_after", "body", "content_type", "headers", "delay"})
_HTTP_DATE_PREFIX = "http-date+"


def validate_retry_after(value: str | int) -> None:
    """Check a forced ``Retry-After`` value (see :func:`render_retry_after`).

    :param value: The value; any text is allowed except control characters.
    """
    text = str(value)
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError("Retry-After must not contain control characters")
    if text.startswith(_HTTP_DATE_PREFIX):
        try:
            float(text[len(_HTTP_DATE_PREFIX) :])
        except ValueError:
            raise ValueError(f"{text!r}: expected http-date+<seconds>") from None


def render_retry_after(value: str | int, now: float | None = None) -> str:
    """Turn a forced ``Retry-After`` setting into the header value to send.

    :param value: A literal header value (sent as is) or ``"http-date+N"``: an HTTP-date N seconds ahead.
    :param now: The current UTC epoch time (default: now).
    """
    text = str(value)
    if text.startswith(_HTTP_DATE_PREFIX):
        moment = (time.time() if now is None else now) + float(text[len(_HTTP_DATE_PREFIX) :])
        return formatdate(moment, usegmt=True)
    return text


def validate_scripted_answer(answer: Mapping[str, Any]) -> None:
    """Check one ``fail_next`` entry; raise :class:`ValueError` if it is not usable.

    :param answer: ``{"status": int, ...}`` or ``{"fault": name, ...}``.
    """
    if not isinstance(answer, Mapping):
        raise ValueError("each scripted answer must be an object")
    unknown = sorted(set(answer) - _SCRIPTED_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}")
    has_status = "status" in answer
    has_fault = "fault" in answer
    if has_status == has_fault:
        raise ValueError('give exactly one of "status" and "fault"')
    if has_status:
        status = answer["status"]
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ValueError("status must be an integer within 100..599")
    elif answer["fault"] not in _SCRIPTED_FAULTS:
        raise ValueError(f"fault must be one of {sorted(_SCRIPTED_FAULTS)}")
    if "retry_after" in answer and answer["retry_after"] is not None:
        if not isinstance(answer["retry_after"], (str, int)) or isinstance(answer["retry_after"], bool):
            raise ValueError("retry_after must be a string or an integer")
        validate_retry_after(answer["retry_after"])
    if "content_type" in answer and not isinstance(answer["content_type"], str):
        raise ValueError("content_type must be a string")
    headers = answer.get("headers")
    if headers is not None and not (
        isinstance(headers, Mapping) and all(isinstance(v, str) for v in headers.values())
    ):
        raise ValueError("headers must map names to strings")
    delay = answer.get("delay")
    if delay is not None and (not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0):
        raise ValueError("delay must be a number >= 0")


@dataclasses.dataclass(frozen=True)
class FaultDecision:
    """What to do with one Gong call.

    :param kind: The fault, or ``None`` to answer normally.
    :param delay: Seconds to wait before answering (latency, jitter, slow, scripted delay).
    :param sub_draw: A number in [0, 1) that picks the flavour of the fault (which 5xx, header or not).
    :param scripted: The ``fail_next`` entry that decided this call, if any.
    :param slow: Whether the ``slow`` share hit this call.
    """

    kind: FaultKind | None
    delay: float
    sub_draw: float
    scripted: Mapping[str, Any] | None = None
    slow: bool = False

    @property
    def scripted_status(self) -> int | None:
        """The status of a scripted ``{"status": ...}`` answer."""
        if self.scripted is None or "status" not in self.scripted:
            return None
        status: int = self.scripted["status"]
        return status


def decide(config: EmulatorConfig, rng: random.Random, scripted: Mapping[str, Any] | None) -> FaultDecision:
    """Decide the fate of one Gong call. Always draws four numbers from ``rng``.

    :param config: The emulator settings.
    :param rng: The seeded fault RNG.
    :param scripted: The next ``fail_next`` entry, if one was pending (it wins over random faults).
    """
    fault_draw, sub_draw, slow_draw, jitter_draw = rng.random(), rng.random(), rng.random(), rng.random()
    delay = config.latency + config.latency_jitter * jitter_draw
    slow = slow_draw < config.slow
    kind: FaultKind | None = None
    if scripted is not None:
        delay += float(scripted.get("delay") or 0.0)
        name = _SCRIPTED_FAULTS.get(str(scripted.get("fault")))
        if name == "slow":
            slow = True
        elif name is not None and name != "pass":
            kind = name
    else:
        threshold = 0.0
        for candidate in FAULT_KINDS:
            threshold += float(getattr(config, candidate))
            if fault_draw < threshold:
                kind = candidate
                break
    if slow:
        delay += config.slow_seconds
    return FaultDecision(kind=kind, delay=delay, sub_draw=sub_draw, scripted=scripted, slow=slow)
