"""Gong's ``listLogs``: the audit logs of one type over a time range, paged.

Entries are drawn per hour of UTC (deterministic from the seed, the log type and the hour): eight to
sixteen an hour, so a day holds a few hundred. Only entries before the emulator's clock exist; call-play
and share logs name calls already visible when the entry happened.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import random
from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import CallCatalog
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, paged_answer
from airflow_provider_gong.testing.inputs import Request
from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = ["LOG_TYPES", "MSG_NO_LOGS", "list_logs", "log_entries"]

#: ``logType`` values.
LOG_TYPES = (
    "AccessLog",
    "UserActivityLog",
    "UserCallPlay",
    "ExternallySharedCallAccess",
    "ExternallySharedCallPlay",
)
MSG_NO_LOGS = "No logs found corresponding to the provided filters"
_HOUR = 3600
_ACTIONS = ("Login", "Login", "Logout", "ApiAccess", "PasswordReset")
_ACTIVITIES = ("ViewedCall", "SearchedCalls", "ViewedDeal", "ExportedCalls", "ChangedSettings", "ViewedStats")
_AGENTS = ("Chrome/131.0 (Windows)", "Safari/18.1 (macOS)", "Firefox/133.0 (Linux)", "Gong iOS app 9.4")
_VIEWERS = (("Ana Ortiz", "ana.ortiz@acme.example"), ("Lee Park", "lee.park@globex.example"))


def _visible_call(catalog: CallCatalog, rng: random.Random, moment: int) -> int | None:
    started = bisect.bisect_left(range(len(catalog)), moment, key=catalog.started_epoch)
    if not started:
        return None
    index = rng.randrange(started)
    for candidate in range(index, max(-1, index - 50), -1):
        if catalog.visible_at(candidate) <= moment:
            return candidate
    return None


@functools.lru_cache(maxsize=8192)
def log_entries(
    catalog: CallCatalog, directory: UserDirectory, log_type: str, hour: int
) -> tuple[tuple[int, bytes], ...]:
    """The entries of ``log_type`` in one hour: ``(time, compact JSON)``, oldest first.

    :param catalog: The company's calls.
    :param directory: The company's users (the catalog's).
    :param log_type: One of :data:`LOG_TYPES`.
    :param hour: The hour, UTC epoch seconds // 3600.
    """
    rng = random.Random(f"gong-emulator-logs:{directory.seed}:{log_type}:{hour}")
    users = directory.select(include_avatars=False)
    if not users:
        return ()
    entries: list[tuple[int, bytes]] = []
    for moment in sorted(hour * _HOUR + rng.randrange(_HOUR) for _ in range(rng.randint(8, 16))):
        user = directory.user(users[int(len(users) * rng.random() ** 1.5)])
        entry: dict[str, Any] = {
            "userId": user["id"],
            "userEmailAddress": user["emailAddress"],
            "userFullName": f"{user['firstName']} {user['lastName']}",
            "impersonatorUserId": None,
            "impersonatorEmailAddress": None,
            "impersonatorFullName": None,
            "impersonatorCompanyId": None,
            "eventTime": format_gong_time(moment),
        }
        client = {"ipAddress": f"203.0.113.{rng.randrange(1, 255)}", "userAgent": rng.choice(_AGENTS)}
        if log_type == "AccessLog":
            record: dict[str, Any] = {
                "client": client,
                "action": {"type": rng.choice(_ACTIONS), "result": "Success"},
            }
            if rng.random() < 0.03:
                entry.update(
                    impersonatorUserId="7000000000000000001",
                    impersonatorEmailAddress="support@emulated-gong.example.com",
                    impersonatorFullName="Gong Support",
                    impersonatorCompanyId="1000000000000000001",
                )
        elif log_type == "UserActivityLog":
            record = {"client": client, "activity": {"type": rng.choice(_ACTIVITIES)}}
        else:
            index = _visible_call(catalog, rng, moment)
            if index is None:
                continue
            basic = catalog.basic(index)
            start = rng.randrange(max(1, basic["duration"]))
            record = {
                "call": {"id": basic["id"], "title": basic["title"], "workspaceId": basic["workspaceId"]},
                "play": {"fromSec": start, "toSec": min(basic["duration"], start + rng.randint(10, 900))},
            }
            if log_type.startswith("ExternallyShared"):
                name, email = rng.choice(_VIEWERS)
                record["share"] = {"sharedByUserId": basic["primaryUserId"], "recipientEmailAddress": email}
                entry.update(userId=None, userEmailAddress=email, userFullName=name)
                if log_type == "ExternallySharedCallAccess":
                    del record["play"]
        entry["logRecord"] = record
        entries.append((moment, dumps(entry)))
    return tuple(entries)


def list_logs(request: Request) -> Answer:
    """``GET /v2/logs?logType=&fromDateTime=&toDateTime=&cursor=``: one page of log entries, oldest first."""
    log_type = request.query_value("logType")
    if not log_type:
        raise BadRequestError("Missing required query parameter logType")
    if log_type not in LOG_TYPES:
        raise BadRequestError(f"Invalid logType {log_type!r}: expected one of {', '.join(LOG_TYPES)}")
    start = request.query_time("fromDateTime", required=True)
    end = request.query_time("toDateTime")
    assert start is not None
    now = request.config.now()
    stop = now if end is None else min(end, now)
    catalog = request.state.calls
    directory = request.state.directory
    selection: list[bytes] = []
    if start < stop:
        for hour in range(math.floor(start) // _HOUR, math.ceil(stop) // _HOUR + 1):
            selection += [
                entry
                for moment, entry in log_entries(catalog, directory, log_type, hour)
                if start <= moment < stop
            ]
    config = request.config
    return paged_answer(
        selection,
        bytes,
        key="logEntries",
        cursor=request.query_cursor(),
        fingerprint=f"{json.dumps(['logs', log_type, start, end])}|{catalog.key}",
        page_size=config.page_size,
        cursor_ttl=config.cursor_ttl,
        empty_message=MSG_NO_LOGS,
        request_id=request.request_id,
    )
