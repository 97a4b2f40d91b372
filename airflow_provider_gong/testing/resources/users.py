"""Gong's users endpoints: ``getUser``, ``getUserHistory``, ``listUsers``, ``listMultipleUsers``.

The data comes from the emulator's :class:`~airflow_provider_gong.testing.users.UserDirectory`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.envelope import dumps, not_found, paged_answer, record_answer
from airflow_provider_gong.testing.inputs import (
    Request,
    body_cursor,
    bool_field,
    filter_object,
    gong_id,
    id_list,
    time_field,
)

__all__ = [
    "MSG_NO_USERS",
    "MSG_USER_NOT_FOUND",
    "get_user",
    "get_user_history",
    "list_multiple_users",
    "list_users",
]

MSG_USER_NOT_FOUND = "User not found"
MSG_NO_USERS = "No users found corresponding to the provided filters"


def _user_index(request: Request) -> int | None:
    return request.state.directory.index_of(gong_id(request.params["id"], "user id"))


def get_user(request: Request) -> Answer:
    """``GET /v2/users/{id}``: ``{"requestId", "user"}``."""
    index = _user_index(request)
    if index is None:
        return not_found(MSG_USER_NOT_FOUND, request.request_id)
    return record_answer(request.request_id, "user", request.state.directory.user_json(index))


def get_user_history(request: Request) -> Answer:
    """``GET /v2/users/{id}/settings-history``: ``{"requestId", "userSettingsHistory"}``."""
    index = _user_index(request)
    if index is None:
        return not_found(MSG_USER_NOT_FOUND, request.request_id)
    history = request.state.directory.settings_history(index)
    return record_answer(request.request_id, "userSettingsHistory", dumps(history))


def list_users(request: Request) -> Answer:
    """``GET /v2/users?cursor=&includeAvatars=``: one page of every (non-avatar) user."""
    include_avatars = request.query_bool("includeAvatars")
    selection = request.state.directory.select(include_avatars=include_avatars)
    fingerprint = json.dumps(["list", include_avatars])
    return _page(request, selection, request.query_cursor(), fingerprint)


def list_multiple_users(request: Request) -> Answer:
    """``POST /v2/users/extensive``: one page of the users matching ``filter``."""
    payload = request.json_body()
    cursor = body_cursor(payload)
    filters = filter_object(payload)
    user_ids = id_list(filters, "userIds", "user id", request.config.max_user_ids)
    created_from = time_field(filters, "createdFromDateTime")
    created_to = time_field(filters, "createdToDateTime")
    include_avatars = bool_field(filters, "includeAvatars")

    directory = request.state.directory
    indices = None
    if user_ids is not None:
        indices = [index for index in map(directory.index_of, user_ids) if index is not None]
    selection = directory.select(
        include_avatars=include_avatars, created_from=created_from, created_to=created_to, indices=indices
    )
    fingerprint = json.dumps(
        [
            "extensive",
            None if user_ids is None else sorted(set(user_ids)),
            created_from,
            created_to,
            include_avatars,
        ]
    )
    return _page(request, selection, cursor, fingerprint)


def _page(request: Request, selection: Sequence[int], cursor: str | None, fingerprint: str) -> Answer:
    directory = request.state.directory
    config = request.config
    return paged_answer(
        selection,
        directory.user_json,
        key="users",
        cursor=cursor,
        fingerprint=f"{fingerprint}|{directory.key}",
        page_size=config.page_size,
        cursor_ttl=config.cursor_ttl,
        empty_message=MSG_NO_USERS,
        request_id=request.request_id,
    )
