"""The registry of Gong's endpoints: what the client needs to know to call, page and read each one.

Keyed by the ``operationId`` of Gong's OpenAPI spec. Adding an endpoint is an entry here plus a thin
method on the hook: calling, paging (GET parameters or POST body), id filters in chunks of 100,
de-duplication, "nothing found" 404s and the scopes named in error hints all follow from the entry.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from airflow_provider_gong.client.ids import validate_id
from airflow_provider_gong.exceptions import GongConfigError, GongNotFoundError

__all__ = ["DEFAULT_PROBE_ENDPOINT", "ENDPOINTS", "PAGE_SIZE", "Endpoint", "probe_endpoint"]

#: Gong's page size, and the most ids one call's filter may hold.
PAGE_SIZE = 100
#: The window a probe of an endpoint that needs one asks for: the last hour, cheap and usually empty.
PROBE_WINDOW = timedelta(hours=1)
#: What :class:`~airflow_provider_gong.sensors.rate_limit.GongRateLimitSensor` probes by default.
DEFAULT_PROBE_ENDPOINT = "listUsers"

USERS_SCOPE = "api:users:read"
CALLS_BASIC_SCOPE = "api:calls:read:basic"
_NO_USERS = "no users found corresponding to the provided filters"
_NO_CALLS = "no calls found corresponding to the provided filters"


@dataclass(frozen=True)
class Endpoint:
    """
    One operation of Gong's API.

    :param operation_id: Gong's ``operationId``, e.g. ``"listUsers"``.
    :param method: ``"GET"`` or ``"POST"``.
    :param path: The path below the base URL, with ``{name}`` for path parameters.
    :param scopes: The OAuth scopes Gong's spec names for it, the always-required one first (empty when
        the spec names none); 401 and 403 hints name them.
    :param records_key: The key of the answer that holds the list of records (paged or list answers).
    :param record_key: The key that holds the one record of a single-record answer (e.g. ``"user"``).
    :param id_field: Where a record's id is, dotted for nested keys (``"metaData.id"``).
    :param id_filter: The key of the body's ``filter`` that takes a list of ids (e.g. ``"userIds"``).
    :param not_found: Gong's text (lower case) of the 404 that means "nothing matched": an empty
        result, never a failure. Any other 404 is an error.
    :param paged: Whether answers carry ``records.cursor`` and more pages may follow.
    :param window: The names of the date-time window the endpoint requires (from, to), if it does.
    :param noun: What one record is, for messages (``"user"``, ``"call"``).
    :param probe_inputs: What a probe sends besides a window: query parameters (GET) or the body's
        ``filter`` (POST).
    """

    operation_id: str
    method: Literal["GET", "POST"]
    path: str
    scopes: tuple[str, ...] = ()
    records_key: str | None = None
    record_key: str | None = None
    id_field: str = "id"
    id_filter: str | None = None
    not_found: str | None = None
    paged: bool = False
    window: tuple[str, str] | None = None
    noun: str = "record"
    probe_inputs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    #: The names of the path's parameters, in order (``("id",)`` for ``/v2/users/{id}``).
    path_params: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(name for _, name, _, _ in string.Formatter().parse(self.path) if name)
        object.__setattr__(self, "path_params", names)

    @property
    def probeable(self) -> bool:
        """Whether a probe can call it: no path parameter to invent, an answer that says little."""
        return not self.path_params and (self.paged or self.records_key is not None)

    def url_path(self, **values: str | int) -> str:
        """
        The path with its parameters filled in, each a Gong id of 1-20 digits (checked, before any call).

        :param values: One value per path parameter.
        :raises ValueError: naming the parameter when a value is missing or not a Gong id.
        """
        if len(values) != len(self.path_params) or any(name not in values for name in self.path_params):
            raise ValueError(f"{self.operation_id} needs path parameters {list(self.path_params)}")
        checked = {name: validate_id(value, self.noun) for name, value in values.items()}
        return self.path.format(**checked)

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        """
        A record's id as text (where :attr:`id_field` says), or ``None`` when it has none.

        :param record: One record as Gong sent it.
        """
        value: Any = record
        for key in self.id_field.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return None if value is None else str(value)

    def is_nothing_found(self, error: GongNotFoundError) -> bool:
        """
        Whether a 404 is this endpoint's "nothing matched" (an empty result), by Gong's own message.

        :param error: The 404.
        """
        known = self.not_found
        return known is not None and any(known in message.lower() for message in error.errors)

    def probe_request(self, now: datetime) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """
        The query parameters and the JSON body of the cheapest call of this endpoint (a probe).

        :param now: The current time (UTC); a required window becomes the hour before it.
        :raises GongConfigError: when the endpoint cannot be probed (see :attr:`probeable`).
        """
        if not self.probeable:
            raise GongConfigError(_not_probeable(self.operation_id))
        inputs = dict(self.probe_inputs)
        if self.window is not None:
            start, end = self.window
            end_at = now.replace(microsecond=0)
            inputs[start] = (end_at - PROBE_WINDOW).isoformat()
            inputs[end] = end_at.isoformat()
        if self.method == "GET":
            return inputs, None
        return None, {"filter": inputs}


def _registry(*endpoints: Endpoint) -> Mapping[str, Endpoint]:
    return MappingProxyType({endpoint.operation_id: endpoint for endpoint in endpoints})


#: Every endpoint the provider calls, by Gong's ``operationId``.
ENDPOINTS: Mapping[str, Endpoint] = _registry(
    Endpoint(
        "listUsers",
        "GET",
        "/v2/users",
        scopes=(USERS_SCOPE,),
        noun="user",
        records_key="users",
        not_found=_NO_USERS,
        paged=True,
        probe_inputs={"includeAvatars": "false"},
    ),
    Endpoint("getUser", "GET", "/v2/users/{id}", scopes=(USERS_SCOPE,), noun="user", record_key="user"),
    Endpoint(
        "getUserHistory",
        "GET",
        "/v2/users/{id}/settings-history",
        scopes=(USERS_SCOPE,),
        noun="user",
        records_key="userSettingsHistory",
    ),
    Endpoint(
        "listMultipleUsers",
        "POST",
        "/v2/users/extensive",
        scopes=(USERS_SCOPE,),
        noun="user",
        records_key="users",
        id_filter="userIds",
        not_found=_NO_USERS,
        paged=True,
        probe_inputs={"includeAvatars": False},
    ),
    Endpoint(
        "listCalls",
        "GET",
        "/v2/calls",
        scopes=(CALLS_BASIC_SCOPE,),
        noun="call",
        records_key="calls",
        not_found=_NO_CALLS,
        paged=True,
        window=("fromDateTime", "toDateTime"),
    ),
    Endpoint("getCall", "GET", "/v2/calls/{id}", scopes=(CALLS_BASIC_SCOPE,), noun="call", record_key="call"),
    Endpoint(
        "listCallsExtensive",
        "POST",
        "/v2/calls/extensive",
        scopes=("api:calls:read:extensive", "api:calls:read:media-url"),
        noun="call",
        records_key="calls",
        id_field="metaData.id",
        id_filter="callIds",
        not_found=_NO_CALLS,
        paged=True,
        window=("fromDateTime", "toDateTime"),
    ),
    Endpoint(
        "getCallTranscripts",
        "POST",
        "/v2/calls/transcript",
        scopes=("api:calls:read:transcript",),
        noun="call",
        records_key="callTranscripts",
        id_field="callId",
        id_filter="callIds",
        not_found=_NO_CALLS,
        paged=True,
        window=("fromDateTime", "toDateTime"),
    ),
)

_OPERATION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def probe_endpoint(operation_id: Any, *, owner: str = "probe_endpoint") -> Endpoint:
    """
    The endpoint a rate-limit probe calls, checked before any wait.

    :param operation_id: Gong's ``operationId``, e.g. ``"listCalls"``.
    :param owner: Who asked, for the message (e.g. the task id).
    :raises GongConfigError: naming the problem and the endpoints that can be probed.
    """
    choices = sorted(name for name, endpoint in ENDPOINTS.items() if endpoint.probeable)
    if not isinstance(operation_id, str) or not _OPERATION_ID.match(operation_id):
        raise GongConfigError(
            f"{owner}: probe_endpoint must be one of Gong's operation ids {choices}, got {operation_id!r}"
        )
    endpoint = ENDPOINTS.get(operation_id)
    if endpoint is None:
        raise GongConfigError(
            f"{owner}: probe_endpoint {operation_id!r} is not an endpoint this provider knows; "
            f"choose one of {choices}"
        )
    if not endpoint.probeable:
        raise GongConfigError(f"{owner}: {_not_probeable(operation_id)}; choose one of {choices}")
    return endpoint


def _not_probeable(operation_id: str) -> str:
    return f"{operation_id} cannot be a rate-limit probe: it needs an id in its path or answers one record"
