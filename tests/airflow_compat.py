"""Airflow names the tests need beyond the provider's own :mod:`airflow_provider_gong.version_compat`.

The same rule as the product: tests import Airflow through common-compat (``airflow.providers.common.compat
.sdk``), the provider's ``version_compat``, or this module, so that one suite runs on Airflow 2.11 to 3.3.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_2_PLUS

#: Airflow 3.0 and 3.1 drop a connection whose extra is not a JSON object (or not JSON at all) before any
#: hook sees it: ``get_connection`` says it "isn't defined". The provider's own error applies elsewhere.
needs_airflow_reading_bad_extras = pytest.mark.skipif(
    AIRFLOW_V_3_0_PLUS and not AIRFLOW_V_3_2_PLUS,
    reason="Airflow 3.0 and 3.1 report a connection with a non-object extra as undefined, before the hook",
)

#: Where each name lives: ``(module, name there)`` pairs to try, newest Airflow first.
_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "TaskDeferralError": (
        ("airflow.sdk.exceptions", "TaskDeferralError"),
        ("airflow.exceptions", "TaskDeferralError"),
    ),
    # Airflow 2 raises the general deferral error on a trigger timeout too.
    "TaskDeferralTimeout": (
        ("airflow.sdk.exceptions", "TaskDeferralTimeout"),
        ("airflow.exceptions", "TaskDeferralTimeout"),
        ("airflow.exceptions", "TaskDeferralError"),
    ),
    "DAG": (("airflow.sdk", "DAG"), ("airflow.models.dag", "DAG")),
    # Object storage: a file system of the test's own, under a protocol of its own.
    "attach": (("airflow.sdk.io", "attach"), ("airflow.io.store", "attach")),
    "CronTriggerTimetable": (
        ("airflow.sdk", "CronTriggerTimetable"),
        ("airflow.timetables.trigger", "CronTriggerTimetable"),
    ),
    "DeltaTriggerTimetable": (
        ("airflow.sdk", "DeltaTriggerTimetable"),
        ("airflow.timetables.trigger", "DeltaTriggerTimetable"),
    ),
    "MultipleCronTriggerTimetable": (
        ("airflow.sdk", "MultipleCronTriggerTimetable"),
        ("airflow.timetables.trigger", "MultipleCronTriggerTimetable"),
    ),
    "resolve_xcom_backend": (
        ("airflow.sdk.execution_time.xcom", "resolve_xcom_backend"),
        ("airflow.models.xcom", "resolve_xcom_backend"),
    ),
}


def __getattr__(name: str) -> Any:
    for module, attribute in _SOURCES.get(name, ()):
        try:
            return getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError):
            continue
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
