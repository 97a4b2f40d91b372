"""Gong's calls endpoints: ``listCalls``, ``getCall``, ``listCallsExtensive``, ``getCallTranscripts``.

The data comes from the emulator's :class:`~airflow_provider_gong.testing.calls.CallCatalog`, as seen at
the emulator's clock (``EmulatorConfig.clock``): a call not yet visible is absent everywhere, a transcript
not yet ready is absent from ``getCallTranscripts``, detailed content not yet processed is empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import (
    COLLABORATION_FIELDS,
    CONTENT_FIELDS,
    CONTEXT_LEVELS,
    CONTEXT_TIMINGS,
    EXPOSED_FIELDS,
    INTERACTION_FIELDS,
    ContentSelector,
)
from airflow_provider_gong.testing.envelope import BadRequestError, not_found, paged_answer, record_answer
from airflow_provider_gong.testing.inputs import (
    Request,
    body_cursor,
    filter_object,
    gong_id,
    id_field,
    id_list,
    time_field,
)

__all__ = [
    "MSG_CALL_NOT_FOUND",
    "MSG_NO_CALLS",
    "content_selector",
    "get_call",
    "get_call_transcripts",
    "list_calls",
    "list_calls_extensive",
]

#: The 404 of ``getCall`` (the spec's wording).
MSG_CALL_NOT_FOUND = "Call ID was not found"
MSG_NO_CALLS = "No calls found corresponding to the provided filters"


def get_call(request: Request) -> Answer:
    """``GET /v2/calls/{id}``: ``{"requestId", "call"}`` (404 for an unknown or not yet visible call)."""
    catalog = request.state.calls
    index = catalog.index_of(gong_id(request.params["id"], "call id"))
    if index is None or not catalog.is_visible(index, request.config.now()):
        return not_found(MSG_CALL_NOT_FOUND, request.request_id)
    return record_answer(request.request_id, "call", catalog.basic_json(index))


def list_calls(request: Request) -> Answer:
    """``GET /v2/calls?fromDateTime=&toDateTime=&workspaceId=&cursor=``: one page of calls by start."""
    query: dict[str, Any] = {
        "started_from": request.query_time("fromDateTime", required=True),
        "started_to": request.query_time("toDateTime", required=True),
        "workspace_id": None,
    }
    workspace_id = request.query_value("workspaceId")
    if workspace_id:
        query["workspace_id"] = gong_id(workspace_id, "workspace id")
    catalog = request.state.calls
    selection = catalog.select(request.config.now(), **query)
    fingerprint = json.dumps(["list", query])
    return _page(request, selection, catalog.basic_json, "calls", request.query_cursor(), fingerprint)


def list_calls_extensive(request: Request) -> Answer:
    """``POST /v2/calls/extensive``: one page of ``CallData`` matching ``filter``, per ``contentSelector``."""
    payload = request.json_body()
    cursor = body_cursor(payload)
    query = _call_filter(request, filter_object(payload), owners=True)
    selector = content_selector(payload.get("contentSelector"))
    catalog = request.state.calls
    now = request.config.now()
    selection = catalog.select(now, **query)
    fingerprint = json.dumps(["extensive", query, selector.canonical()])

    def render(index: int) -> bytes:
        return catalog.extensive_json(index, selector, now)

    return _page(request, selection, render, "calls", cursor, fingerprint)


def get_call_transcripts(request: Request) -> Answer:
    """``POST /v2/calls/transcript``: one page of transcripts of the calls matching ``filter``.

    Only calls whose transcript is ready at the emulator's clock are listed.
    """
    payload = request.json_body()
    cursor = body_cursor(payload)
    query = _call_filter(request, filter_object(payload), owners=False)
    catalog = request.state.calls
    selection = catalog.select(request.config.now(), transcript=True, **query)
    fingerprint = json.dumps(["transcript", query])
    return _page(request, selection, catalog.transcript_json, "callTranscripts", cursor, fingerprint)


def content_selector(value: Any) -> ContentSelector:
    """Check a ``contentSelector`` (absent or null: nothing beyond ``metaData``).

    :param value: The body's ``contentSelector``.
    :raises BadRequestError: For an unknown key, a non-boolean flag, an unknown ``context`` or
        ``contextTiming`` value, or ``contextTiming`` without ``"context": "Extended"``.
    """
    if value is None:
        return ContentSelector()
    where = "contentSelector"
    _check_keys(value, ("context", "contextTiming", "exposedFields"), where)
    context = value.get("context")
    if context is None:
        context = "None"
    if context not in CONTEXT_LEVELS:
        raise BadRequestError(
            f"Invalid {where}.context {context!r}: expected one of {', '.join(CONTEXT_LEVELS)}"
        )
    timing: tuple[str, ...] = ("Now",)
    requested = value.get("contextTiming")
    if requested is not None:
        if context != "Extended":
            raise BadRequestError(
                f"{where}.contextTiming can be provided only when {where}.context is Extended"
            )
        if not isinstance(requested, list) or not all(item in CONTEXT_TIMINGS for item in requested):
            expected = ", ".join(CONTEXT_TIMINGS)
            raise BadRequestError(
                f"Invalid {where}.contextTiming {requested!r}: expected a list of {expected}"
            )
        timing = tuple(item for item in CONTEXT_TIMINGS if item in requested) or timing
    exposed = value.get("exposedFields")
    if exposed is None:
        exposed = {}
    where = f"{where}.exposedFields"
    _check_keys(exposed, EXPOSED_FIELDS, where)
    return ContentSelector(
        context=context,
        context_timing=timing,
        parties=_flag(exposed, "parties", where),
        content=_flags(exposed, "content", CONTENT_FIELDS, where),
        interaction=_flags(exposed, "interaction", INTERACTION_FIELDS, where),
        collaboration=_flags(exposed, "collaboration", COLLABORATION_FIELDS, where),
        media=_flag(exposed, "media", where),
    )


def _check_keys(value: Any, allowed: Sequence[str], where: str) -> None:
    if not isinstance(value, dict):
        raise BadRequestError(f"{where} must be a JSON object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise BadRequestError(
            f"Unknown field(s) in {where}: {', '.join(unknown)} (known: {', '.join(allowed)})"
        )


def _flag(group: Mapping[str, Any], name: str, where: str) -> bool:
    value = group.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequestError(f"{where}.{name} must be true or false")
    return value


def _flags(exposed: Mapping[str, Any], name: str, allowed: Sequence[str], where: str) -> frozenset[str]:
    group = exposed.get(name)
    if group is None:
        return frozenset()
    where = f"{where}.{name}"
    _check_keys(group, allowed, where)
    return frozenset(flag for flag in allowed if _flag(group, flag, where))


def _call_filter(request: Request, filters: Mapping[str, Any], *, owners: bool) -> dict[str, Any]:
    """The ``filter`` of a calls POST body as keyword arguments of ``CallCatalog.select`` (canonical)."""
    limit = request.config.max_call_ids
    call_ids = id_list(filters, "callIds", "call id", limit)
    query: dict[str, Any] = {
        "started_from": time_field(filters, "fromDateTime"),
        "started_to": time_field(filters, "toDateTime"),
        "workspace_id": id_field(filters, "workspaceId", "workspace id"),
        "call_ids": None if call_ids is None else sorted(set(call_ids)),
    }
    if owners:
        user_ids = id_list(filters, "primaryUserIds", "user id", limit)
        query["primary_user_ids"] = None if user_ids is None else sorted(set(user_ids))
    return query


def _page(
    request: Request,
    selection: Sequence[int],
    render: Callable[[int], bytes],
    key: str,
    cursor: str | None,
    fingerprint: str,
) -> Answer:
    config = request.config
    return paged_answer(
        selection,
        render,
        key=key,
        cursor=cursor,
        fingerprint=f"{fingerprint}|{request.state.calls.key}",
        page_size=config.page_size,
        cursor_ttl=config.cursor_ttl,
        empty_message=MSG_NO_CALLS,
        request_id=request.request_id,
    )
