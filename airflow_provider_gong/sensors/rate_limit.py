"""GongRateLimitSensor: wait until Gong's rate limit lets calls through, at the pace Gong asks for."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

# Public Task SDK exceptions that version_compat does not export (yet).
from airflow_provider_gong.client.dates import moment_in, now_utc
from airflow_provider_gong.client.retry import MIN_PROBE_WAIT
from airflow_provider_gong.endpoints import DEFAULT_PROBE_ENDPOINT, probe_endpoint
from airflow_provider_gong.exceptions import GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.arguments import is_literal
from airflow_provider_gong.triggers.rate_limit import (
    DEFAULT_MAX_BACKOFF,
    DEFERRAL_SLACK,
    GongRateLimitTrigger,
    error_from_event,
)
from airflow_provider_gong.version_compat import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    BaseSensorOperator,
    conf,
    reschedules,
)

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = ["MAX_DEFERRAL", "GongRateLimitSensor"]

#: The longest single deferral of the sensor, in seconds (7 days, Airflow's default sensor timeout). A
#: longer timeout, or none (``math.inf``, ``timedelta.max``), is waited out in deferrals of this length,
#: each with its deadline: when one ends, the sensor probes again and defers anew.
MAX_DEFERRAL = 7 * 24 * 3600.0
#: The longest backoff step without ``max_wait`` (unless ``poke_interval`` is longer): the doubling stops at
#: a week, so that many reschedules never make a wait past any date Python can hold.
MAX_BACKOFF_STEP = MAX_DEFERRAL


class GongRateLimitSensor(BaseSensorOperator):
    """
    Wait until Gong's rate limit (per second or per day, per company) lets calls through.

    Each poke is one cheap call of ``probe_endpoint`` (:meth:`GongHook.probe`): answered means done (Gong's
    "nothing found" 404 is an answer too); a 429 means not yet, and the next poke comes after the
    ``Retry-After`` Gong sent (not after ``poke_interval``); a 429 without ``Retry-After`` waits an
    exponential backoff starting at ``poke_interval`` and capped by ``max_wait``. Any other error ends the
    wait at once with the typed error (e.g. :class:`~airflow_provider_gong.exceptions.GongAuthError` for
    wrong credentials). ``soft_fail``, ``never_fail`` and ``silent_fail`` mean what they mean for any sensor.

    ``timeout`` holds in every mode, by the same rule: when Gong's ``Retry-After`` asks to wait past it,
    the sensor times out at once instead of sleeping in vain; a backoff that would end past it is cut
    short, so that one last probe comes at the timeout. In reschedule mode the timeout counts from the
    first poke, across reschedules, as for any sensor of the running Airflow (on Airflow 3 of this try, on
    Airflow 2 of the task's first try). In deferrable mode every deferral has a deadline (at most
    :data:`MAX_DEFERRAL`; Airflow's deferral timeout is :data:`DEFERRAL_SLACK` later, a backstop in case
    the triggerer is down). Put it before heavy Gong fetches, in the same pool as the Gong tasks.

    :param gong_conn_id: The Gong connection id.
    :param probe_endpoint: What each poke calls, by Gong's operation id (templated): ``"listUsers"``
        (default) or e.g. ``"listCalls"`` for an OAuth app with calls scopes only. A required date window
        is filled in with the last hour. Checked when the sensor is built (a template: before its first
        call); a :class:`~airflow_provider_gong.exceptions.GongConfigError` names the choices.
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

    template_fields = ("gong_conn_id", "probe_endpoint")
    ui_color = "#c9b6f2"

    def __init__(
        self,
        *,
        gong_conn_id: str = GongHook.default_conn_name,
        probe_endpoint: str = DEFAULT_PROBE_ENDPOINT,
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
        self.probe_endpoint = probe_endpoint
        if is_literal(probe_endpoint):
            self._checked_probe_endpoint()
        self.deferrable = deferrable
        self.hook_params = dict(hook_params or {})
        #: What the last poke learned: Gong's Retry-After (None: no header, or no 429 yet).
        self._retry_after: float | None = None

    @cached_property
    def hook(self) -> GongHook:
        """The hook of this sensor (no lookup until its first call)."""
        return GongHook(self.gong_conn_id, **self.hook_params)

    def _checked_probe_endpoint(self) -> str:
        return probe_endpoint(self.probe_endpoint, owner=self.task_id).operation_id

    def poke(self, context: Context) -> bool:
        """Probe Gong once; ``True`` when it answers, ``False`` on a 429 (remembering its ``Retry-After``)."""
        self._retry_after = None
        limited = self.hook.probe(self.probe_endpoint)
        if limited is None:
            self.log.info("Gong answers: the rate limit lets calls through")
            return True
        self._retry_after = limited.retry_after
        self.log.info("Gong is rate limited: %s", _describe_limit(limited))
        return False

    def execute(self, context: Context) -> None:
        """
        Wait until Gong answers: sleep between pokes, reschedule, or defer to the triggerer.

        :param context: The task context.
        """
        self._checked_probe_endpoint()  # a rendered template, before any call
        if self.deferrable:
            self._probe_or_defer(context, self.timeout)
            return
        try:
            self._poke_until_answered(context)
        finally:
            self._close_hook()

    # ------------------------------------------------------------------ poke and reschedule modes

    def _poke_until_answered(self, context: Context) -> None:
        """
        Airflow's sensor loop, with Gong's waits: poke; when not done, time out, sleep or reschedule.

        In reschedule mode the time spent counts from the first reschedule and the backoff step from the
        reschedules so far
        (:func:`~airflow_provider_gong.version_compat.reschedules`): the state of a rescheduled sensor
        lives in Airflow, not in the operator.
        """
        first_reschedule, pokes = reschedules(context) if self.reschedule else (None, 0)
        started = self._start(first_reschedule)
        while True:
            pokes += 1
            if self._guarded_poke(context):
                self.log.info("Success criteria met. Exiting.")
                return
            spent = started()
            if spent > self.timeout:
                message = (
                    f"Sensor has timed out; run duration of {spent:.0f} s exceeds the specified timeout "
                    f"of {self.timeout:g} s."
                )
                if self.soft_fail:
                    raise AirflowSkipException(message)
                raise AirflowSensorTimeout(message)
            wait = self._next_wait(pokes, self.timeout - spent)
            if self.reschedule:
                raise AirflowRescheduleException(now_utc() + timedelta(seconds=wait))  # type: ignore[no-untyped-call]
            time.sleep(wait)

    def _start(self, first_reschedule: datetime | None) -> Callable[[], float]:
        """A clock of the seconds this sensor has been waiting, from its first poke."""
        if self.reschedule:
            started_at = first_reschedule or now_utc()

            def since_first_poke() -> float:
                return (now_utc() - started_at).total_seconds()

            return since_first_poke
        start = time.monotonic()
        return lambda: time.monotonic() - start

    def _guarded_poke(self, context: Context) -> bool:
        """
        :meth:`poke`, its errors handled as Airflow's sensors do.

        ``soft_fail`` or ``never_fail`` skip on a timeout; ``never_fail`` skips on any error;
        ``silent_fail`` logs an error and pokes again later (as after a 429 without ``Retry-After``).
        """
        try:
            return self.poke(context)
        except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as err:
            if self.soft_fail or self.never_fail:
                flag = "soft_fail" if self.soft_fail else "never_fail"
                raise AirflowSkipException(f"Skipping due to {flag} is set to True.") from err
            raise
        except AirflowSkipException:
            raise
        except Exception as err:
            if self.silent_fail:
                self.log.exception("Sensor poke failed")
                self._retry_after = None
                return False
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from err
            raise

    def _next_wait(self, pokes: int, time_left: float) -> float:
        """
        Seconds until the next poke: Gong's ``Retry-After``, else a backoff cut short at the timeout.

        :param pokes: Pokes so far (the backoff doubles with each).
        :param time_left: Seconds left of the sensor's timeout.
        :raises AirflowSensorTimeout: (a skip with ``soft_fail``) when Gong asks to wait past it.
        """
        if self._retry_after is not None:
            wait = max(self._retry_after, MIN_PROBE_WAIT)  # never a tight loop on "Retry-After: 0"
            self._check_timeout(wait, time_left)
            self.log.info("next %s in %.1f s, as Gong's Retry-After asks", self.mode, wait)
            return wait
        wait = self.poke_interval
        if self.exponential_backoff:
            doubled = wait * 2.0 ** min(pokes - 1, 64)  # 2**64: past any cap, still a finite float
            step = min(doubled, max(wait, MAX_BACKOFF_STEP))
            wait = random.uniform(step / 2, step)  # jitter: sensors of one company do not poke at once
        if self.max_wait:
            wait = min(wait, self.max_wait.total_seconds())
        wait = min(max(wait, MIN_PROBE_WAIT), max(time_left, 0.0))
        self.log.info("next %s in %.1f s (backoff, no Retry-After)", self.mode, wait)
        return wait

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

    def _probe_or_defer(self, context: Context, time_left: float) -> None:
        """Probe once; done if Gong answers, else defer for at most ``time_left`` (or time out now)."""
        try:
            if self._guarded_poke(context):
                return
        finally:
            self._close_hook()
        wait = self._retry_after
        if wait is not None:
            wait = max(wait, MIN_PROBE_WAIT)
            self._check_timeout(wait, time_left)
        # Without Retry-After: wait poke_interval now (at most until the deadline, to probe once more
        # there), then the trigger doubles it up to max_wait.
        backoff = max(self.poke_interval, 0.5)
        max_backoff = max(self.max_wait.total_seconds() if self.max_wait else DEFAULT_MAX_BACKOFF, backoff)
        span = min(time_left, MAX_DEFERRAL)  # no shorter than Retry-After, which is at most a day
        first = wait if wait is not None else min(backoff, span)
        now = now_utc()
        params = self.hook_params
        self.log.info("deferring: the triggerer probes Gong again in %.1f s", first)
        self.defer(
            trigger=GongRateLimitTrigger(
                self.gong_conn_id,
                resume_at=moment_in(first, now=now),
                give_up_at=moment_in(span, now=now),
                backoff=backoff if wait is not None else min(backoff * 2, max_backoff),
                max_backoff=max_backoff,
                timeout=params.get("timeout"),
                max_retries=params.get("max_retries"),
                payload={"timeout_left": time_left - span if math.isfinite(time_left) else None},
                probe_endpoint=self.probe_endpoint,
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
                self._checked_probe_endpoint()
                self._probe_or_defer(context, time_left)
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
