"""Every Airflow interface the provider uses, imported in this one module.

Product code imports Airflow's classes and functions from here, never from ``airflow`` directly, so the
Airflow versions the provider supports differ in this module only. Only public interfaces are used:
``airflow.sdk`` (the Task SDK), ``airflow.triggers.base`` for triggers, and nothing under
``airflow.sdk.execution_time``.

The client core (:mod:`airflow_provider_gong.client`) imports nothing from Airflow; its errors derive
from :class:`AirflowException` through :mod:`airflow_provider_gong.exceptions`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import airflow
from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator, ObjectStoragePath, conf
from airflow.sdk.bases.xcom import BaseXCom
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)
from airflow.sdk.log import amask_secret, mask_secret
from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from airflow.sdk import Connection, Context

__all__ = [
    "AIRFLOW_VERSION",
    "AirflowException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "BaseXCom",
    "Connection",
    "Context",
    "ObjectStoragePath",
    "TaskDeferred",
    "TriggerEvent",
    "amask_secret",
    "conf",
    "mask_secret",
]


def _version(text: str) -> tuple[int, int, int]:
    """The release of a version string as three numbers (``"3.3.2rc1"`` gives ``(3, 3, 2)``)."""
    found = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if found is None:
        return (0, 0, 0)
    major, minor, patch = (int(group or 0) for group in found.groups())
    return (major, minor, patch)


#: The running Airflow's release, e.g. ``(3, 3, 2)``.
AIRFLOW_VERSION = _version(airflow.__version__)
