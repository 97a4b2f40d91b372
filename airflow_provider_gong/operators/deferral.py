"""A fetch stopped by Gong's rate limit: the deferral that waits it out, and how each end is reported.

:class:`~airflow_provider_gong.triggers.rate_limit.GongRateLimitTrigger` waits in the triggerer and hands
back where the fetch stands; its ``timeout`` event (Gong's wait would pass the deferral's end) fails the
task with :func:`deadline_passed`. Airflow may also end a deferral itself (its own ``timeout``, a trigger
that crashed): it then fails the task without the operator's ``execute_complete``, and
:func:`discard_kept` removes what the fetch kept for the resume.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from airflow_provider_gong.client.dates import moment_in, parse_moment
from airflow_provider_gong.exceptions import GongRateLimitError
from airflow_provider_gong.operators.arguments import check_output_path
from airflow_provider_gong.operators.sinks import remove_kept_parts, remove_stale_parts
from airflow_provider_gong.triggers.rate_limit import (
    DEFAULT_BACKOFF,
    DeferralDeadline,
    GongRateLimitTrigger,
    deferral_deadline,
)

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = ["Deferral", "deadline_passed", "defer_for", "discard_kept", "explain_limit"]


class Deferral(NamedTuple):
    """How long to wait for Gong (seconds), until when at the latest, and the trigger that waits."""

    wait: float
    deadline: DeferralDeadline
    trigger: GongRateLimitTrigger


def defer_for(
    limit: GongRateLimitError,
    gong_conn_id: str,
    hook_params: Mapping[str, Any],
    payload: dict[str, Any],
    probe_endpoint: str,
) -> Deferral:
    """
    The deferral for a rate limit: Gong's ``Retry-After`` (or the first backoff), plus slack.

    :param limit: The error that stopped the fetch.
    :param gong_conn_id: The connection the trigger probes with.
    :param hook_params: The operator's ``hook_params`` (the probe's ``timeout`` and ``max_retries``).
    :param payload: Where the fetch stands (JSON), handed back in the trigger's event.
    :param probe_endpoint: What the trigger probes (an endpoint the fetch's credentials may read).
    """
    wait = limit.retry_after if limit.retry_after is not None else DEFAULT_BACKOFF
    deadline = deferral_deadline(wait)
    trigger = GongRateLimitTrigger(
        gong_conn_id,
        resume_at=moment_in(wait),
        give_up_at=deadline.give_up_at,
        timeout=hook_params.get("timeout"),
        max_retries=hook_params.get("max_retries"),
        payload=payload,
        probe_endpoint=probe_endpoint,
    )
    return Deferral(wait, deadline, trigger)


def deadline_passed(event: Mapping[str, Any], task_id: str, fetched: int, noun: str) -> GongRateLimitError:
    """
    The error of a ``timeout`` event: Gong's wait outlasted the deferral's deadline.

    :param event: The trigger's event.
    :param task_id: For the message.
    :param fetched: How many records had been fetched (now discarded).
    :param noun: What they are (``"users"``).
    """
    resume_at = event.get("resume_at")  # when Gong's limit ends: always an ISO-8601 moment
    moment = parse_moment(resume_at if isinstance(resume_at, str) else None, "resume_at")
    retry_after = None if moment is None else max((moment - datetime.now(UTC)).total_seconds(), 0.0)
    return GongRateLimitError(
        429,
        "GET",
        "/v2/users",  # what the trigger probes
        errors=[
            f"{task_id}: the wait for Gong's rate limit passed the deferral's deadline "
            f"({event.get('message') or 'no more waiting'})"
        ],
        hint=(
            f"The {fetched} {noun} fetched so far were discarded; clear the task once Gong's quota is "
            f"back{f' (after {resume_at})' if resume_at else ''}, or wait with GongRateLimitSensor first"
        ),
        retry_after=retry_after,
    )


def explain_limit(
    log: logging.Logger | Any, error: GongRateLimitError, fetched: int, noun: str, operator: str
) -> None:
    """
    Log both remedies for a rate limit that fails a task that does not defer (unless the error has them).

    :param log: The task's log.
    :param error: The rate limit.
    :param fetched: How many records had been fetched.
    :param noun: What they are (``"users"``).
    :param operator: The operator's class name.
    """
    if error.hint:
        return  # the hook's message already gives the wait and both remedies
    wait = "no Retry-After" if error.retry_after is None else f"Retry-After {error.retry_after:g} s"
    log.error(
        "Gong's rate limit stopped the fetch after %d %s (%s, retries exhausted): wait it out with "
        "GongRateLimitSensor before this task, or run %s with deferrable=True",
        fetched,
        noun,
        wait,
        operator,
    )


def discard_kept(
    context: Context, output_path: object, task_id: str, key: str, noun: str, log: logging.Logger | Any
) -> None:
    """
    Remove what a deferred fetch kept (its part files, or its XCom parts), without the trigger's payload.

    :param context: The task context.
    :param output_path: The rendered ``output_path`` (``None``: the parts are in XCom).
    :param task_id: For messages.
    :param key: The XCom key prefix of the parts.
    :param noun: What the records are (``"users"``).
    :param log: The task's log.
    """
    try:
        output = check_output_path(output_path, task_id, noun)
        if output is not None:
            remove_stale_parts(output, log)
        elif remove_kept_parts(context, key, log):
            log.warning("Removed the %s kept in XCom across the deferral", noun)
    except Exception as err:  # cleanup only: never hide why Airflow fails the task
        log.warning("could not remove the %s kept across the deferral: %s", noun, err)
