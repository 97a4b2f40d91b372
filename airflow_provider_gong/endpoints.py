"""The registry of Gong's endpoints: what the client needs to know to call, page and read each one.

Keyed by the ``operationId`` of Gong's OpenAPI spec; every read operation of the spec is here (bar
``generateBrief`` and ``askEntity``, which spend Gong AI credits, and ``integrationStatus``, a meeting
integration check). Each entry declares its inputs, so the hook's ``request`` and ``iter_records``
call any of them: checking the inputs, paging (GET parameters or POST body), id filters in chunks of 100,
de-duplication, "nothing found" 404s and the scopes named in error hints all follow from the entry.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import quote

from airflow_provider_gong.client.dates import gong_date, iso_datetime
from airflow_provider_gong.client.ids import validate_id
from airflow_provider_gong.client.inputs import MAX_BODY_IDS, Kind, Param, Prepared, prepare, snake_case
from airflow_provider_gong.exceptions import GongConfigError, GongNotFoundError

__all__ = ["DEFAULT_PROBE_ENDPOINT", "ENDPOINTS", "PAGE_SIZE", "Endpoint", "Param", "probe_endpoint"]

#: Gong's page size, and the most ids one call's filter may hold.
PAGE_SIZE = 100
#: The window a probe of an endpoint that needs one asks for: the last hour, cheap and usually empty.
PROBE_WINDOW = timedelta(hours=1)
#: What :class:`~airflow_provider_gong.sensors.rate_limit.GongRateLimitSensor` probes by default.
DEFAULT_PROBE_ENDPOINT = "listUsers"

USERS_SCOPE = "api:users:read"
CALLS_BASIC_SCOPE = "api:calls:read:basic"
# Gong's texts of the 404s that mean "nothing matched" (lower case; a 404 whose text holds one is an empty
# result): what Gong sends (gong-api.md) and what its spec's 404 descriptions say.
_NO_USERS = ("no users found corresponding to the provided filters",)
_NO_CALLS = (
    "no calls found corresponding to the provided filters",
    "no calls found for the specified period",
)


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
    :param not_found: Gong's texts (lower case) of the 404s that mean "nothing matched" (a quiet day of
        stats or logs, a filter matching nothing): an empty result, never a failure. Any other 404 (an
        unknown workspace, user or call) is an error.
    :param paged: Whether answers carry ``records.cursor`` and more pages may follow.
    :param window: Gong's names of the endpoint's window (from, to), if it takes one: query parameters of
        a GET, keys of the body's ``filter`` of a POST.
    :param window_kind: ``"datetime"`` (ISO-8601 instants) or ``"date"`` (Gong's ``YYYY-MM-DD`` dates in
        the company's time zone, the end exclusive and not past today).
    :param noun: What one record is, for messages (``"user"``, ``"call"``).
    :param probe_inputs: What a probe sends besides a window: query parameters (GET) or the body's
        ``filter`` (POST).
    :param inputs: The inputs it takes (:class:`~airflow_provider_gong.client.inputs.Param`), checked and
        placed by :meth:`prepare`; the cursor is never one of them.
    """

    operation_id: str
    method: Literal["GET", "POST"]
    path: str
    scopes: tuple[str, ...] = ()
    records_key: str | None = None
    record_key: str | None = None
    id_field: str | None = "id"
    id_filter: str | None = None
    not_found: tuple[str, ...] = ()
    paged: bool = False
    window: tuple[str, str] | None = None
    window_kind: Literal["datetime", "date"] = "datetime"
    noun: str = "record"
    probe_inputs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    inputs: tuple[Param, ...] = ()

    #: The names of the path's parameters, in order (``("id",)`` for ``/v2/users/{id}``).
    path_params: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(name for _, name, _, _ in string.Formatter().parse(self.path) if name)
        object.__setattr__(self, "path_params", names)

    @property
    def probeable(self) -> bool:
        """
        Whether a probe can call it: no path parameter or other required input to invent (bar the window
        and what :attr:`probe_inputs` gives), an answer that says little.
        """
        given = set(self.window or ()) | set(self.probe_inputs)
        needed = [param for param in self._all_params() if param.required and param.wire not in given]
        needed = [param for param in needed if param.kind != "filter"]
        body_ok = self.method == "GET" or any(param.kind == "filter" for param in self.inputs)
        return (
            not self.path_params and not needed and body_ok and (self.paged or self.records_key is not None)
        )

    @property
    def iterable(self) -> bool:
        """Whether its answer holds records to iterate (a list, paged or not, or one record)."""
        return self.records_key is not None or self.record_key is not None

    @property
    def input_names(self) -> tuple[str, ...]:
        """The keyword names of its inputs (``("from_date_time", "to_date_time", "workspace_id")``)."""
        return tuple(param.name for param in self.inputs)

    def _all_params(self) -> list[Param]:
        found = []
        for param in self.inputs:
            found.append(param)
            found.extend(param.fields)
        return found

    def prepare(self, inputs: Mapping[str, Any], *, optional: tuple[str, ...] = ()) -> Prepared:
        """
        Check keyword ``inputs`` and place each where Gong reads it (path, query, body), before any call.

        :param inputs: Keyword inputs named in snake_case (``workspace_id``, ``from_``, ``filter``);
            Gong's own names are accepted too.
        :param optional: Gong names not required this time (the window an operator fills in).
        :raises ValueError: naming the input that is missing, unknown or malformed.
        """
        return prepare(self.operation_id, self.inputs, inputs, optional=optional)

    def check_inputs(self, inputs: Mapping[str, Any], *, window_given: bool = True) -> None:
        """
        Check keyword ``inputs`` as :meth:`prepare` does.

        :param inputs: The keyword inputs.
        :param window_given: ``False``: the window's inputs may be missing (filled in later).
        :raises ValueError: naming the input that is missing, unknown or malformed.
        """
        self.prepare(inputs, optional=() if window_given or self.window is None else self.window)

    def gives_window(self, inputs: Mapping[str, Any]) -> bool:
        """
        Whether ``inputs`` set either end of the endpoint's window themselves.

        :param inputs: The keyword inputs.
        """
        if self.window is None:
            return False
        if self.method == "GET":
            names = {name for wire in self.window for name in (wire, snake_case(wire))}
            return any(inputs.get(name) is not None for name in names)
        body_filter = inputs.get("filter")
        return isinstance(body_filter, Mapping) and any(
            body_filter.get(wire) is not None for wire in self.window
        )

    def with_window(
        self, inputs: Mapping[str, Any], start: date | datetime, end: date | datetime
    ) -> dict[str, Any]:
        """
        ``inputs`` with the window ``[start, end)`` where the endpoint takes it: query inputs of a GET, keys
        of the body's ``filter`` of a POST; dates as ``YYYY-MM-DD``, date-times as ISO-8601.

        :param inputs: The other keyword inputs.
        :param start: The inclusive start (a ``date`` for a ``"date"`` window).
        :param end: The exclusive end.
        :raises ValueError: when the endpoint takes no window, or a bound is not of its kind.
        """
        if self.window is None:
            raise ValueError(f"{self.operation_id} takes no window")
        first, last = self.window
        if self.window_kind == "date":
            bounds = gong_date(start, first), gong_date(end, last)
        else:
            bounds = iso_datetime(_instant(start, first), first), iso_datetime(_instant(end, last), last)
        placed = dict(inputs)
        if self.method == "GET":
            for wire, bound in zip(self.window, bounds, strict=True):
                placed.pop(wire, None)
                placed[snake_case(wire)] = bound
            return placed
        body_filter = dict(placed.get("filter") or {})
        body_filter.update(zip(self.window, bounds, strict=True))
        placed["filter"] = body_filter
        return placed

    def url_path(self, **values: str | int) -> str:
        """
        The path with its parameters filled in, each a Gong id of 1-20 digits (checked, before any call).

        :param values: One value per path parameter.
        :raises ValueError: naming the parameter when a value is missing or not a Gong id.
        """
        if len(values) != len(self.path_params) or any(name not in values for name in self.path_params):
            raise ValueError(f"{self.operation_id} needs path parameters {list(self.path_params)}")
        kinds = {param.wire: param.kind for param in self.inputs if param.where == "path"}
        checked = {
            name: quote(str(value).strip(), safe="")
            if kinds.get(name) == "text"
            else validate_id(value, self.noun)
            for name, value in values.items()
        }
        if any(not value for value in checked.values()):
            raise ValueError(f"{self.operation_id} needs non-empty path parameters {list(self.path_params)}")
        return self.path.format(**checked)

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        """
        A record's id as text (where :attr:`id_field` says), or ``None`` when it has none.

        :param record: One record as Gong sent it.
        """
        if self.id_field is None:
            return None
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
        return any(known in message.lower() for known in self.not_found for message in error.errors)

    def probe_request(self, now: datetime) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """
        The query parameters and the JSON body of the cheapest call of this endpoint (a probe).

        :param now: The current time (UTC); a required window becomes the hour before it (for dates: the
            day before yesterday, UTC).
        :raises GongConfigError: when the endpoint cannot be probed (see :attr:`probeable`).
        """
        if not self.probeable:
            raise GongConfigError(_not_probeable(self.operation_id))
        inputs = dict(self.probe_inputs)
        if self.window is not None:
            start, end = self.window
            end_at = now.replace(microsecond=0)
            if self.window_kind == "date":
                # Gong's smallest window of dates, ending on yesterday (UTC): Gong refuses a toDate after
                # the company's today, and UTC's yesterday is no later than today in any time zone.
                yesterday = end_at.date() - timedelta(days=1)
                inputs[start] = (yesterday - timedelta(days=1)).isoformat()
                inputs[end] = yesterday.isoformat()
            else:
                inputs[start] = (end_at - PROBE_WINDOW).isoformat()
                inputs[end] = end_at.isoformat()
        if self.method == "GET":
            return inputs, None
        return None, {"filter": inputs}


def _registry(*endpoints: Endpoint) -> Mapping[str, Endpoint]:
    return MappingProxyType({endpoint.operation_id: endpoint for endpoint in endpoints})


def _q(wire: str, kind: Kind = "text", required: bool = False, choices: tuple[str, ...] = ()) -> Param:
    return Param(wire, "query", kind, required, choices)


def _f(wire: str, kind: Kind, required: bool = False, choices: tuple[str, ...] = ()) -> Param:
    return Param(wire, "field", kind, required, choices)


def _filter(*fields: Param, required: bool = True) -> Param:
    return Param("filter", "body", "filter", required, fields=fields)


def _ids(wire: str, required: bool = False, *, kind: Kind = "ids", bounded: bool = True) -> Param:
    return Param(wire, "field", kind, required, max_items=MAX_BODY_IDS if bounded else None)


_ID = Param("id", "path", "id", True)
_WORKSPACE = _q("workspaceId", "id")
_WINDOW_FIELDS = (_f("fromDateTime", "datetime"), _f("toDateTime", "datetime"))
#: The filter of Gong's user statistics: company dates, and optionally users.
_USER_DATES = (
    _f("fromDate", "date", True),
    _f("toDate", "date", True),
    _f("createdFromDateTime", "datetime"),
    _f("createdToDateTime", "datetime"),
    _ids("userIds", bounded=False),
)
_LOG_TYPES = (
    "AccessLog",
    "UserActivityLog",
    "UserCallPlay",
    "ExternallySharedCallAccess",
    "ExternallySharedCallPlay",
)
_CRM_OBJECT_TYPES = ("ACCOUNT", "CONTACT", "DEAL", "LEAD")
_STATS_TIMEZONE = "company"

#: Every read endpoint of Gong's API, by its ``operationId``.
ENDPOINTS: Mapping[str, Endpoint] = _registry(
    # ------------------------------------------------------------------------------ users
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
        inputs=(_q("includeAvatars", "bool"),),
    ),
    Endpoint(
        "getUser",
        "GET",
        "/v2/users/{id}",
        scopes=(USERS_SCOPE,),
        noun="user",
        record_key="user",
        inputs=(_ID,),
    ),
    Endpoint(
        "getUserHistory",
        "GET",
        "/v2/users/{id}/settings-history",
        scopes=(USERS_SCOPE,),
        noun="setting change",
        records_key="userSettingsHistory",
        id_field=None,
        inputs=(_ID,),
    ),
    Endpoint(
        "listMultipleUsers",
        "POST",
        "/v2/users/extensive",
        scopes=(USERS_SCOPE,),
        noun="user",
        records_key="users",
        id_filter="userIds",
        not_found=(*_NO_USERS, "no calls found for the specified period"),
        paged=True,
        probe_inputs={"includeAvatars": False},
        inputs=(
            _filter(
                _f("createdFromDateTime", "datetime"),
                _f("createdToDateTime", "datetime"),
                _f("includeAvatars", "bool"),
                _ids("userIds", bounded=False),
            ),
        ),
    ),
    Endpoint(
        "listPermissionProfileUsers",
        "GET",
        "/v2/permission-profile/users",
        scopes=(USERS_SCOPE,),
        noun="user",
        records_key="users",
        inputs=(_q("profileId", "id", True),),
    ),
    Endpoint(
        "getPermissionProfile",
        "GET",
        "/v2/permission-profile",
        noun="permission profile",
        record_key="profile",
        inputs=(_q("profileId", "id", True),),
    ),
    Endpoint(
        "listPermissionProfile",
        "GET",
        "/v2/all-permission-profiles",
        noun="permission profile",
        records_key="profiles",
        inputs=(_q("workspaceId", "id", True),),
    ),
    # ------------------------------------------------------------------------------ calls
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
        inputs=(_q("fromDateTime", "datetime", True), _q("toDateTime", "datetime", True), _WORKSPACE),
    ),
    Endpoint(
        "getCall",
        "GET",
        "/v2/calls/{id}",
        scopes=(CALLS_BASIC_SCOPE,),
        noun="call",
        record_key="call",
        inputs=(_ID,),
    ),
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
        inputs=(
            _filter(
                *_WINDOW_FIELDS,
                _f("workspaceId", "id"),
                _ids("callIds", bounded=False),
                _ids("primaryUserIds", bounded=False),
            ),
            Param("contentSelector", "body", "object"),
        ),
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
        inputs=(_filter(*_WINDOW_FIELDS, _f("workspaceId", "id"), _ids("callIds", bounded=False)),),
    ),
    Endpoint(
        "getUsersAccessToCalls",
        "POST",
        "/v2/calls/users-access",
        scopes=("api:call-user-access:read",),
        noun="call",
        records_key="callAccessList",
        id_field="callId",
        id_filter="callIds",
        inputs=(_filter(_ids("callIds", True, bounded=False)),),
    ),
    Endpoint(
        "listCallOutcomes",
        "GET",
        "/v2/call-outcomes",
        scopes=("api:call-outcomes:read",),
        noun="call outcome",
        records_key="outcomes",
        id_field=None,
    ),
    # ------------------------------------------------------------------------------ stats
    Endpoint(
        "listInteractionStats",
        "POST",
        "/v2/stats/interaction",
        scopes=("api:stats:interaction",),
        noun="user",
        records_key="peopleInteractionStats",
        id_field="userId",
        not_found=(*_NO_USERS, "no stats found"),
        paged=True,
        window=("fromDate", "toDate"),
        window_kind="date",
        inputs=(_filter(*_USER_DATES),),
    ),
    Endpoint(
        "listAnsweredScorecards",
        "POST",
        "/v2/stats/activity/scorecards",
        scopes=("api:stats:scorecards",),
        noun="answered scorecard",
        records_key="answeredScorecards",
        id_field="answeredScorecardId",
        not_found=(*_NO_USERS, "answered scorecards not found"),
        paged=True,
        window=("reviewFromDate", "reviewToDate"),
        window_kind="date",
        inputs=(
            _filter(
                _f("callFromDate", "date"),
                _f("callToDate", "date"),
                _f("reviewFromDate", "date"),
                _f("reviewToDate", "date"),
                _f("reviewMethod", "choice", choices=("AUTOMATIC", "MANUAL", "BOTH")),
                _ids("reviewedUserIds", bounded=False),
                _ids("scorecardIds", bounded=False),
            ),
        ),
    ),
    Endpoint(
        "listMultipleUsersDayByDayActivity",
        "POST",
        "/v2/stats/activity/day-by-day",
        scopes=("api:stats:user-actions:detailed",),
        noun="user",
        records_key="usersDetailedActivities",
        id_field="userId",
        not_found=_NO_USERS,
        paged=True,
        window=("fromDate", "toDate"),
        window_kind="date",
        inputs=(_filter(*_USER_DATES),),
    ),
    Endpoint(
        "listMultipleUsersAggregateActivity",
        "POST",
        "/v2/stats/activity/aggregate",
        scopes=("api:stats:user-actions",),
        noun="user",
        records_key="usersAggregateActivityStats",
        id_field="userId",
        not_found=_NO_USERS,
        paged=True,
        window=("fromDate", "toDate"),
        window_kind="date",
        inputs=(_filter(*_USER_DATES),),
    ),
    Endpoint(
        "listMultipleUsersAggregateByPeriod",
        "POST",
        "/v2/stats/activity/aggregate-by-period",
        scopes=("api:stats:user-actions",),
        noun="user",
        records_key="usersAggregateActivity",
        id_field="userId",
        not_found=_NO_USERS,
        paged=True,
        window=("fromDate", "toDate"),
        window_kind="date",
        inputs=(
            _filter(*_USER_DATES),
            Param("aggregationPeriod", "body", "choice", True, ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")),
        ),
    ),
    # ------------------------------------------------------------------------------ settings and structure
    Endpoint(
        "listWorkspaces",
        "GET",
        "/v2/workspaces",
        scopes=("api:workspaces:read",),
        noun="workspace",
        records_key="workspaces",
    ),
    Endpoint(
        "listTrackers",
        "GET",
        "/v2/settings/trackers",
        scopes=("api:settings:trackers:read",),
        noun="tracker",
        records_key="keywordTrackers",
        id_field="trackerId",
        inputs=(_WORKSPACE,),
    ),
    Endpoint(
        "listScorecards",
        "GET",
        "/v2/settings/scorecards",
        scopes=("api:settings:scorecards:read",),
        noun="scorecard",
        records_key="scorecards",
        id_field="scorecardId",
        not_found=("scorecards not found",),
    ),
    Endpoint(
        "listBriefs",
        "GET",
        "/v2/settings/briefs",
        scopes=("api:ai-briefer:read",),
        noun="brief",
        records_key="briefs",
        id_field="briefId",
        inputs=(_WORKSPACE,),
    ),
    Endpoint(
        "getLibraryStructure",
        "GET",
        "/v2/library/folders",
        scopes=("api:library:read",),
        noun="folder",
        records_key="folders",
        inputs=(_WORKSPACE,),
        not_found=("no folders found",),
    ),
    Endpoint(
        "getCallsInSpecificFolder",
        "GET",
        "/v2/library/folder-content",
        scopes=("api:library:read",),
        noun="call",
        records_key="calls",
        inputs=(_q("folderId", "id"),),
    ),
    Endpoint(
        "listUsers_1",
        "GET",
        "/v2/coaching",
        scopes=("api:coaching:read",),
        noun="manager",
        records_key="coachingData",
        id_field="manager.id",
        window=("from", "to"),
        inputs=(
            _q("workspace-id", "int", True),
            _q("manager-id", "int", True),
            _q("from", "datetime", True),
            _q("to", "datetime", True),
        ),
    ),
    Endpoint(
        "listLogs",
        "GET",
        "/v2/logs",
        scopes=("api:logs:read",),
        noun="log entry",
        records_key="logEntries",
        id_field=None,
        not_found=("no logs found",),
        paged=True,
        window=("fromDateTime", "toDateTime"),
        inputs=(
            _q("logType", "choice", True, _LOG_TYPES),
            _q("fromDateTime", "datetime", True),
            _q("toDateTime", "datetime"),
        ),
        probe_inputs={"logType": "AccessLog"},
    ),
    # ------------------------------------------------------------------------------ Engage
    Endpoint(
        "listFlows",
        "GET",
        "/v2/flows",
        scopes=("api:flows:read",),
        noun="flow",
        records_key="flows",
        paged=True,
        inputs=(
            _q("flowOwnerEmail", "email", True),
            _WORKSPACE,
            _q("folderId", "id"),
            _q("mostRecentlyAssigned", "bool"),
        ),
    ),
    Endpoint(
        "listFlowsFolders",
        "GET",
        "/v2/flows/folders",
        scopes=("api:flows:read",),
        noun="flow folder",
        records_key="flows",
        paged=True,
        inputs=(_q("flowFolderOwnerEmail", "email", True), _q("parentId", "int"), _WORKSPACE),
    ),
    Endpoint(
        "getFlowSteps",
        "POST",
        "/v2/flows/steps",
        scopes=("api:flows:read",),
        noun="flow",
        records_key="flows",
        inputs=(Param("flowIds", "body", "texts", max_items=MAX_BODY_IDS),),
    ),
    Endpoint(
        "getProspectsAssignedFlows",
        "POST",
        "/v2/flows/prospects",
        scopes=("api:flows:read",),
        noun="flow assignment",
        records_key="prospectsAssigned",
        id_field="flowInstanceId",
        inputs=(
            Param("crmProspectsIds", "body", "texts", max_items=MAX_BODY_IDS),
            Param("flowInstanceIds", "body", "texts", max_items=MAX_BODY_IDS),
        ),
    ),
    Endpoint(
        "getFlowProspectsBulkAssignment",
        "GET",
        "/v2/flows/prospects/bulk-assignments/{id}",
        scopes=("api:flows:read",),
        noun="bulk assignment",
        inputs=(Param("id", "path", "text", True),),
    ),
    Endpoint(
        "listTasks",
        "POST",
        "/v2/tasks",
        scopes=("api:tasks:read",),
        noun="task",
        records_key="tasks",
        inputs=(
            _filter(
                _f("userId", "id", True),
                _f("workspaceId", "id"),
                _f("types", "choices", True, ("FLOW", "MANUAL")),
                _f("taskAction", "choices", True, ("CALL",)),
                _f("status", "choices", True, ("OPEN", "DONE", "DISMISSED")),
            ),
        ),
    ),
    # ------------------------------------------------------------------------------ CRM and data privacy
    Endpoint(
        "listGenericCrmIntegration",
        "GET",
        "/v2/crm/integrations",
        scopes=("api:crm:integrations:read",),
        noun="integration",
        records_key="integrations",
        id_field="integrationId",
    ),
    Endpoint(
        "listCrmSchemaFields",
        "GET",
        "/v2/crm/entity-schema",
        scopes=("api:crm:schema",),
        noun="schema",
        inputs=(_q("integrationId", "int", True), _q("objectType", "choice", True, _CRM_OBJECT_TYPES)),
    ),
    Endpoint(
        "getCrmObjects",
        "GET",
        "/v2/crm/entities",
        scopes=("api:crm:get-objects",),
        noun="CRM object",
        inputs=(
            _q("integrationId", "int", True),
            _q("objectType", "choice", True, _CRM_OBJECT_TYPES),
            # The spec lists it as a query array "sent in the request body": a GET with a JSON list body.
            Param("objectsCrmIds", "array", "texts", True, max_items=MAX_BODY_IDS),
        ),
    ),
    Endpoint(
        "getRequestStatus",
        "GET",
        "/v2/crm/request-status",
        scopes=("api:crm:upload",),
        noun="request",
        inputs=(_q("integrationId", "int", True), _q("clientRequestId", "text", True)),
    ),
    Endpoint(
        "findAllReferencesToEmailAddress",
        "GET",
        "/v2/data-privacy/data-for-email-address",
        scopes=("api:data-privacy:read",),
        noun="reference",
        inputs=(_q("emailAddress", "email", True),),
    ),
    Endpoint(
        "findAllReferencesToPhoneNumber",
        "GET",
        "/v2/data-privacy/data-for-phone-number",
        scopes=("api:data-privacy:read",),
        noun="reference",
        inputs=(_q("phoneNumber", "text", True),),
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
    return (
        f"{operation_id} cannot be a rate-limit probe: it needs an id or another input to invent, "
        "or answers one record"
    )


def _instant(value: date | datetime, name: str) -> datetime:
    if isinstance(value, datetime):
        return value
    raise ValueError(f"{name} takes a date-time, got the date {value.isoformat()}")
