"""Shared checks of the reliability suite (a plain module: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def rendered(event: dict[str, Any]) -> str:
    """The text of one captured log event, with its ``%s`` arguments filled in."""
    message = str(event.get("event", ""))
    args = event.get("positional_args")
    if args:
        try:
            message = message % tuple(args)
        except (TypeError, ValueError):
            message = f"{message} {args}"
    return message


def retry_warnings(logs: list[dict[str, Any]]) -> list[str]:
    """The WARNING lines of the retry policy ("Gong ... failed (...); retry N of M in X s")."""
    return [rendered(e) for e in logs if e.get("log_level") == "warning" and "; retry " in rendered(e)]


#: Emulator faults that make an attempt fail (``slow`` answers still arrive, ``truncate`` and
#: ``bad_shape`` are not injected by the fault tests).
FAILING_FAULTS = ("drop", "hang", "fail_5xx", "fail_429")


def assert_fault_mix(
    stats: Any,
    warnings: Sequence[str],
    *,
    successes: int,
    sleeps: Sequence[float],
    hang_expected: bool,
) -> None:
    """
    Check that the injected faults happened, were all retried, and each retry was logged.

    :param stats: ``GongEmulator.stats()`` after the run.
    :param warnings: The retry policy's WARNING lines captured during the run.
    :param successes: Calls the run needed (one 200 each).
    :param sleeps: Waits the hook's retry policy asked for.
    :param hang_expected: Whether never-answered calls were part of the mix.
    """
    faults = stats["faults"]
    statuses = stats["by_status"]
    for kind in ("drop", "fail_5xx", "fail_429", "slow", *(("hang",) if hang_expected else ())):
        assert faults[kind] >= 1, f"no {kind!r} fault was injected: {faults}"
    for status in ("500", "502", "503", "429", "dropped"):
        assert statuses.get(status, 0) >= 1, f"no {status} answer in {statuses}"
    assert statuses["200"] == successes

    failed_attempts = stats["gong_calls"] - successes
    injected = sum(faults[kind] for kind in FAILING_FAULTS)
    # Every failed attempt was retried (nothing given up) and logged once at WARNING with "retry".
    assert failed_attempts >= injected
    assert len(warnings) == failed_attempts
    assert len(sleeps) == failed_attempts
    # ~20% of answers were faulty (failing kinds plus slow answers).
    share = (injected + faults["slow"]) / stats["gong_calls"]
    assert 0.12 <= share <= 0.30, share

    text = "\n".join(warnings)
    for needle in ("status 500", "status 502", "status 503", "Retry-After 0.05 s", "no Retry-After"):
        assert needle in text, f"{needle!r} not in the retry log"
    assert "GongConnectionError" in text  # dropped connections
    if hang_expected:
        assert "GongTimeoutError" in text
    # A 429 with Retry-After waits exactly that; other retries back off (>= 1 s, recorded, not slept).
    assert 0.05 in sleeps
    assert all(wait >= 1.0 for wait in sleeps if wait != 0.05)
