"""GongRateLimitSensor: wait until Gong's rate limit lets calls through, at the pace Gong asks for."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, conf
from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

from airflow_provider_gong.exceptions import GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.client.retry import MIN_PROBE_WAIT
from airflow_provider_gong.triggers.rate_limit import (
    DEFAULT_MAX_BACKOFF,
    DEFERRAL_SLACK,
    GongRateLimitTrigger,
    error_from_event,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["MAX_DEFERRAL", "GongRateLimitSensor"]

#: The longest single deferral of the sensor, in seconds (7 days, Airflow's default sensor timeout). A
#: longer timeout, or none (``math.inf``, ``timedelta.max``), is waited out in deferrals of this length,
#: each with its deadline: when one ends, the sensor probes again and defers anew.
MAX_DEFERRAL = 7 * 24 * 3600.0


class GongRateLimitSensor(BaseSensorOperator):
    """
    Wait until Gong's rate limit (per second or per day, per company) lets calls through.

    Each poke is one cheap call (:meth:`GongHook.probe`, ``GET /v2/users``): answered means done; a 429
    means not yet, and the next poke comes after the ``Retry-After`` Gong sent (not after
    ``poke_interval``); a 429 without ``Retry-After`` waits an exponential backoff starting at
    ``poke_interval`` and capped by ``max_wait``. Any other error ends the wait at once with the typed error
    (e.g. :class:`~airflow_provider_gong.exceptions.GongAuthError` for wrong credentials).

    ``timeout`` holds in every mode, by the same rule: when Gong's ``Retry-After`` asks to wait past it,
    the sensor times out at once instead of sleeping in vain; a backoff that would end past it is cut
    short, so that one last probe comes at the timeout. In deferrable mode every deferral has a deadline
    (at most :data:`MAX_DEFERRAL`; Airflow's deferral timeout is :data:`DEFERRAL_SLACK` later, a backstop
    in case the triggerer is down). Put it before heavy Gong fetches, in the same pool as the Gong tasks.

    :param gong_conn_id: The Gong connection id.
    :param deferrable: Wait in the triggerer (:class:`GongRateLimitTrigger`) instead of a worker slot.
        Default: ``[operators] default_deferrable``.
    :param hook_params: Keyword arguments for :class:`GongHook` (``timeout``, ``max_retries``,
        ``calls_per_second``).
    :param poke_interval: First backoff wait after a 429 without ``Retry-After``, in seconds. Default 10.
    :param exponential_backoff: Double the wait after each 429 without ``Retry-After``. Default ``True``.
    :param max_wait: Longest backoff wait, in seconds (``Retry-After`` is always honoured). Default 600.
    :param kwargs: Other :class:`~airflow.sdk.BaseSensorOperator` arguments (``timeout``, ``mode``,
        ``soft_fail``...).
    """

    template_fields = ("gong_conn_id",)
    ui_color = "#c9b6f2"

    def __init__(
        self,
        *,
        gong_conn_id: str = GongHook.default_conn_name,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        hook_params: dict[str, Any] | None = None,
        poke_interval: timedelta | float = 10.0,
        exponential_backoff: bool = True,
        max_wait: timedelta | float | None = DEFAULT_MAX_BACKOFF,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            poke_interval=poke_interval,
            exponential_backoff=exponential_backoff,
            max_wait=max_wait,
            **kwargs,
        )
        self.gong_conn_id = gong_conn_id
        self.deferrable = deferrable
        self.hook_params = dict(hook_params or {})
        #: What the last poke learned: Gong's Retry-After (None: no header, or no 429 yet).
        self._retry_after: float | None = None

    @cached_property
    def hook(self) -> GongHook:
        """The hook of this sensor (no lookup until its first call)."""
        return GongHook(self.gong_conn_id, **self.hook_params)

    # ------------------------------------------------------------------ poke and reschedule modes

    def poke(self, context: Context) -> bool:
        """Probe Gong once; ``True`` when it answers, ``False`` on a 429 (remembering its ``Retry-After``)."""
        self._retry_after = None
        limited = self.hook.probe()
        if limited is None:
            self.log.info("Gong answers: the rate limit lets calls through")
            return True
        self._retry_after = limited.retry_after
        self.log.info("Gong is rate limited: %s", _describe_limit(limited))
        return False

    def _get_next_poke_interval(
        self,
        started_at: datetime | float,
        run_duration: Callable[[], float],
        poke_count: int,
    ) -> float:
        """
        Wait what Gong's ``Retry-After`` says; without it, the base class's (exponential) backoff.

        Used by :meth:`BaseSensorOperator.execute` for the sleep (poke mode) and the reschedule date
        (reschedule mode). Gong's wait that would end past ``timeout`` ends the sensor now; a backoff that
        would is cut short, so that the next poke comes at the timeout.
        """
        if self._retry_after is None:
            backoff = float(super()._get_next_poke_interval(started_at, run_duration, poke_count))
            return min(backoff, max(self.timeout - run_duration(), 0.0))
        retry_after = max(self._retry_after, MIN_PROBE_WAIT)  # never a tight loop on "Retry-After: 0"
        self._check_timeout(retry_after, self.timeout - run_duration())
        self.log.info("next %s in %.1f s, as Gong's Retry-After asks", self.mode, retry_after)
        return retry_after

    def _check_timeout(self, wait: float, remaining: float) -> None:
        if wait <= remaining:
            return
        message = (
            f"Gong asks to wait {wait:.0f} s, longer than the {max(remaining, 0):.0f} s left of this "
            f"sensor's timeout ({self.timeout:g} s); giving up now rather than waiting in vain"
        )
        if self.soft_fail or self.never_fail:
            raise AirflowSkipException(message)
        raise AirflowSensorTimeout(message)

    # ------------------------------------------------------------------ deferrable mode

    def execute(self, context: Context) -> Any:
        """Poke (or reschedule); with ``deferrable=True`` probe once, then wait in the triggerer."""
        if not self.deferrable:
            try:
                return super().execute(context)
            finally:
                self._close_hook()
        self._probe_or_defer(self.timeout)
        return None

    def _probe_or_defer(self, time_left: float) -> None:
        """Probe once; done if Gong answers, else defer for at most ``time_left`` (or time out now)."""
        try:
            limited = self.hook.probe()
        except Exception as err:
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from err
            raise
        finally:
            self._close_hook()
        if limited is None:
            self.log.info("Gong answers: the rate limit lets calls through")
            return
        self.log.info("Gong is rate limited: %s; deferring", _describe_limit(limited))
        wait = limited.retry_after
        if wait is not None:
            self._check_timeout(wait, time_left)
        # Without Retry-After: wait poke_interval now (at most until the deadline, to probe once more
        # there), then the trigger doubles it up to max_wait.
        backoff = max(self.poke_interval, 0.5)
        max_backoff = max(self.max_wait.total_seconds() if self.max_wait else DEFAULT_MAX_BACKOFF, backoff)
        span = min(time_left, MAX_DEFERRAL)  # no shorter than Retry-After, which is at most a day
        first = wait if wait is not None else min(backoff, span)
        now = datetime.now(timezone.utc)
        params = self.hook_params
        self.defer(
            trigger=GongRateLimitTrigger(
                self.gong_conn_id,
                resume_at=(now + timedelta(seconds=first)).isoformat(),
                give_up_at=(now + timedelta(seconds=span)).isoformat(),
                backoff=backoff if wait is not None else min(backoff * 2, max_backoff),
                max_backoff=max_backoff,
                timeout=params.get("timeout"),
                max_retries=params.get("max_retries"),
                payload={"timeout_left": time_left - span if math.isfinite(time_left) else None},
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=span + DEFERRAL_SLACK),
        )

    def _close_hook(self) -> None:
        hook: GongHook | None = self.__dict__.get("hook")
        if hook is not None:
            hook.close()

    def execute_complete(self, context: Context, event: dict[str, Any]) -> None:
        """
        Resume after the trigger: done on ``ok``; the typed error on ``error``; a timeout on ``timeout``.

        A ``timeout`` event before the sensor's own timeout (a deferral ends after at most
        :data:`MAX_DEFERRAL`) probes again and defers anew.

        :param context: The task context.
        :param event: The trigger's event payload.
        """
        status = event.get("status")
        if status == "ok":
            self.log.info(
                "Gong answers again after %s s in the triggerer (%s probe(s))",
                event.get("waited"),
                event.get("probes"),
            )
            return
        if status == "timeout":
            time_left = _time_left(event)
            if time_left > 0:
                self.log.info("This deferral ended before the sensor's timeout: probing Gong again")
                self._probe_or_defer(time_left)
                return
            raise AirflowSensorTimeout(f"Sensor has timed out: {event.get('message')}")
        raise error_from_event(event)


def _describe_limit(limited: GongRateLimitError) -> str:
    wait = "no Retry-After" if limited.retry_after is None else f"Retry-After {limited.retry_after:g} s"
    return f"{wait}, requestId {limited.request_id or '-'}"


def _time_left(event: dict[str, Any]) -> float:
    """Seconds of the sensor's timeout left when the deferral of ``event`` ended (``inf``: no end)."""
    payload = event.get("payload")
    if not isinstance(payload, dict) or "timeout_left" not in payload:
        return 0.0
    left = payload["timeout_left"]
    return math.inf if left is None else float(left)
