"""Fault injection: what to do with one Gong call instead of (or on top of) answering it normally.

Every Gong call draws exactly four numbers from the fault RNG, whatever the settings, so the sequence of
random faults depends only on the fault seed and the call's position since the last reset. Faults apply to
every route alike; :func:`fault_answer` builds the answer of an injected or scripted one.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Mapping
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_gong.testing.asgi import JSON_CONTENT_TYPE, Answer
from airflow_provider_gong.testing.envelope import MSG_LIMIT, MSG_UNEXPECTED, dumps, gong_error

if TYPE_CHECKING:
    from airflow_provider_gong.testing.config import EmulatorConfig

__all__ = [
    "FAULT_KINDS",
    "FaultDecision",
    "FaultKind",
    "decide",
    "fault_answer",
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
#: Message of a scripted 404 without a body (Gong's users API says this on every route).
_SCRIPTED_NOT_FOUND = "User not found"
_TEXT_CONTENT_TYPE = b"text/plain; charset=utf-8"
_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


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


def fault_answer(decision: FaultDecision, config: EmulatorConfig, request_id: str) -> Answer | None:
    """The answer a fault sends instead of the real one (``None``: answer normally).

    ``drop`` and ``hang`` send nothing and ``truncate`` cuts the real answer: the app handles those.

    :param decision: The call's fault decision.
    :param config: The live settings (``Retry-After`` of injected 429s).
    :param request_id: The request id of the answer.
    """
    scripted = decision.scripted
    status = decision.scripted_status
    if scripted is not None and status is not None:
        return _scripted_answer(scripted, status, request_id)
    kind = decision.kind
    if kind == "fail_5xx":
        draw = decision.sub_draw
        if draw < 0.5:
            return gong_error(500, MSG_UNEXPECTED, request_id=request_id)
        if draw < 0.75:
            return Answer(502, _HTML_502, b"text/html")
        if draw < 0.875:
            return gong_error(503, "Service temporarily unavailable", request_id=request_id)
        return Answer(503, b"Service Unavailable", _TEXT_CONTENT_TYPE)
    if kind == "fail_429":
        answer = gong_error(429, MSG_LIMIT, request_id=request_id)
        value: str | int | None = None
        if scripted is not None and "retry_after" in scripted:
            value = scripted["retry_after"]  # explicit, None meaning "no header"
        elif scripted is not None or decision.sub_draw < config.fail_429_retry_after_share:
            value = config.fault_retry_after if config.fault_retry_after is not None else "1"
        if value is not None:
            answer.headers.append((b"retry-after", render_retry_after(value).encode("latin-1")))
        return answer
    if kind == "bad_shape":
        return Answer(200, b'{"unexpected":true}')
    return None


def _scripted_answer(scripted: Mapping[str, Any], status: int, request_id: str) -> Answer:
    if "body" in scripted:
        raw = scripted["body"]
        body = raw.encode() if isinstance(raw, str) else dumps(raw)
        default_type = _TEXT_CONTENT_TYPE if isinstance(raw, str) else JSON_CONTENT_TYPE
        answer = Answer(status, body, default_type)
    elif status >= 400:
        message = {429: MSG_LIMIT, 404: _SCRIPTED_NOT_FOUND}.get(status, MSG_UNEXPECTED)
        if status in (401, 403):
            message = "Access denied"
        elif 400 <= status < 500 and status not in (404, 429):
            message = "Malformed request"
        answer = gong_error(status, message, request_id=request_id)
    else:
        answer = Answer(status, dumps({"requestId": request_id}))
    if scripted.get("content_type"):
        answer.content_type = str(scripted["content_type"]).encode("latin-1")
    if scripted.get("retry_after") is not None:
        answer.headers.append((b"retry-after", render_retry_after(scripted["retry_after"]).encode("latin-1")))
    for name, value in (scripted.get("headers") or {}).items():
        answer.headers.append((str(name).lower().encode("latin-1"), str(value).encode("latin-1")))
    return answer
