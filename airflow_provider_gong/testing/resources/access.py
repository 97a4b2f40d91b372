"""Gong's ``getUsersAccessToCalls``: who was given individual access to calls through the API.

About a third of the calls (deterministic from the call id) have one to three users with such access; a
call not yet visible at the emulator's clock is absent, as everywhere.
"""

from __future__ import annotations

import random

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, not_found, record_answer
from airflow_provider_gong.testing.inputs import Request, filter_object, id_list
from airflow_provider_gong.testing.resources.calls import MSG_NO_CALLS

__all__ = ["MAX_CALL_IDS", "get_users_access_to_calls"]

#: Most ``filter.callIds`` of one request.
MAX_CALL_IDS = 100


def get_users_access_to_calls(request: Request) -> Answer:
    """``POST /v2/calls/users-access``: ``{"requestId", "callAccessList": [{"callId", "users"}]}``."""
    filters = filter_object(request.json_body())
    call_ids = id_list(filters, "callIds", "call id", MAX_CALL_IDS)
    if call_ids is None:
        raise BadRequestError("Malformed request body: 'filter.callIds' is required")
    catalog = request.state.calls
    directory = request.state.directory
    hosts = directory.select(include_avatars=False)
    access = []
    for index in catalog.select(request.config.now(), call_ids=call_ids):
        rng = random.Random(f"gong-emulator-access:{catalog.seed}:{catalog.call_id(index)}")
        users: list[str] = []
        if rng.random() < 0.35:
            picked = {directory.ids[hosts[rng.randrange(len(hosts))]] for _ in range(rng.randint(1, 3))}
            users = sorted(picked - {catalog.primary_user_id(index)})
        access.append({"callId": catalog.call_id(index), "users": [{"userId": user} for user in users]})
    if not access:
        return not_found(MSG_NO_CALLS, request.request_id)
    return record_answer(request.request_id, "callAccessList", dumps(access))
