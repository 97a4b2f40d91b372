"""Every Airflow interface the provider uses, imported in this one module.

Product code imports Airflow's classes and functions from here, never from ``airflow`` directly, so the
Airflow versions the provider supports differ in this module only. Only public interfaces are used: the
Task SDK (``airflow.sdk``) and ``airflow.triggers.base`` for triggers, nothing of Airflow's internals.

Each name is imported on first use (:pep:`562`), so a module that needs one name (the errors need
:class:`AirflowException`) does not load the Task SDK's operator and hook machinery with it: the client
core (:mod:`airflow_provider_gong.client`) stays light.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

import airflow

if TYPE_CHECKING:
    from airflow.sdk import (
        BaseHook,
        BaseOperator,
        BaseSensorOperator,
        Connection,
        Context,
        ObjectStoragePath,
        conf,
    )
    from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR
    from airflow.sdk.bases.xcom import BaseXCom
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowRescheduleException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
        TaskDeferred,
    )
    from airflow.sdk.log import amask_secret, mask_secret
    from airflow.triggers.base import BaseTrigger, TriggerEvent

__all__ = [
    "AIRFLOW_VERSION",
    "TRIGGER_FAIL_REPR",
    "AirflowException",
    "AirflowFailException",
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
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

#: Where each name lives in the running Airflow.
_SOURCES = {
    "AirflowException": "airflow.sdk.exceptions",
    "AirflowFailException": "airflow.sdk.exceptions",
    "AirflowTaskTimeout": "airflow.sdk.exceptions",
    "AirflowRescheduleException": "airflow.sdk.exceptions",
    "AirflowSensorTimeout": "airflow.sdk.exceptions",
    "AirflowSkipException": "airflow.sdk.exceptions",
    "TaskDeferred": "airflow.sdk.exceptions",
    "BaseHook": "airflow.sdk",
    "BaseOperator": "airflow.sdk",
    "BaseSensorOperator": "airflow.sdk",
    "Connection": "airflow.sdk",
    "Context": "airflow.sdk",
    "ObjectStoragePath": "airflow.sdk",
    "conf": "airflow.sdk",
    "BaseXCom": "airflow.sdk.bases.xcom",
    # The ``next_method`` a task resumes with when Airflow ended its deferral (timeout, trigger failure).
    "TRIGGER_FAIL_REPR": "airflow.sdk.bases.operator",
    "amask_secret": "airflow.sdk.log",
    "mask_secret": "airflow.sdk.log",
    "BaseTrigger": "airflow.triggers.base",
    "TriggerEvent": "airflow.triggers.base",
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value


def _version(text: str) -> tuple[int, int, int]:
    """The release of a version string as three numbers (``"3.3.2rc1"`` gives ``(3, 3, 2)``)."""
    found = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if found is None:
        return (0, 0, 0)
    major, minor, patch = (int(group or 0) for group in found.groups())
    return (major, minor, patch)


#: The running Airflow's release, e.g. ``(3, 3, 2)``.
AIRFLOW_VERSION = _version(airflow.__version__)
