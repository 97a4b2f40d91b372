"""The route table: every emulated Gong operation, its path, its scopes and its handler.

Each :class:`Route` is labelled with Gong's OpenAPI ``operationId`` and declares the OAuth scopes a caller
needs; its :attr:`Route.label` (``"GET /v2/users/{id}"``) names it in the stats. Adding a resource means a
module under :mod:`airflow_provider_gong.testing.resources` and its rows in :data:`TABLE`; authentication,
scopes, faults, rate limits and the stats apply to every row alike.

A scope needed only when the body asks for something (``listCallsExtensive`` needs
``api:calls:read:media-url`` for ``contentSelector.exposedFields.media: true``) is declared with
:class:`FlagScope` and :func:`flag_scoped` around the row's handler: a call without it gets the same 403.

Matching: a path is matched against the templates with the fewest ``{parameters}`` first, so a literal path
(``/v2/users/extensive``) wins over a template that would also match it (``/v2/users/{id}``). A path whose
template exists but not for this method is a 405 with ``Allow``; any other path is a 404. Both are counted
under :data:`ROUTE_OTHER`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow_provider_gong.testing import config as scope
from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.auth import check_scopes
from airflow_provider_gong.testing.config import (
    CALLS_READ_BASIC_SCOPE,
    CALLS_READ_EXTENSIVE_SCOPE,
    CALLS_READ_MEDIA_URL_SCOPE,
    CALLS_READ_TRANSCRIPT_SCOPE,
    USERS_READ_SCOPE,
)
from airflow_provider_gong.testing.inputs import Request
from airflow_provider_gong.testing.resources import (
    access,
    calls,
    coaching,
    crm,
    engage,
    library,
    logs,
    privacy,
    settings,
    stats,
    users,
)

__all__ = [
    "MEDIA_URL_FLAG",
    "ROUTES",
    "ROUTE_OTHER",
    "TABLE",
    "FlagScope",
    "Handler",
    "Match",
    "Route",
    "Router",
    "flag_scoped",
    "match",
]

Handler = Callable[[Request], Answer]

_PARAMETER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True)
class Route:
    """One emulated Gong operation.

    :param method: HTTP method, e.g. ``"GET"``.
    :param path: Path template as in Gong's OpenAPI spec, e.g. ``"/v2/users/{id}"`` (a parameter matches
        one non-empty path segment).
    :param operation_id: Gong's OpenAPI ``operationId``, e.g. ``"getUser"``.
    :param scopes: OAuth scopes the credentials must all hold (else 403).
    :param handler: Builds the answer of an authenticated, admitted call.
    """

    method: str
    path: str
    operation_id: str
    scopes: tuple[str, ...]
    handler: Handler

    @property
    def label(self) -> str:
        """The route's name in the stats, e.g. ``"GET /v2/users/{id}"``."""
        return f"{self.method} {self.path}"


@dataclasses.dataclass(frozen=True)
class FlagScope:
    """A scope a call needs only when a flag of its JSON body is ``true``.

    :param path: The keys leading to the flag, e.g. ``("contentSelector", "exposedFields", "media")``.
    :param scope: The scope the flag needs.
    """

    path: tuple[str, ...]
    scope: str

    def wanted(self, payload: Any) -> bool:
        """Tell whether ``payload`` (a decoded JSON body) sets the flag to ``true``.

        :param payload: The body; anything but nested objects leading to ``true`` does not need the scope.
        """
        value = payload
        for key in self.path:
            if not isinstance(value, dict):
                return False
            value = value.get(key)
        return value is True


def flag_scoped(handler: Handler, *flags: FlagScope) -> Handler:
    """Wrap ``handler`` so that a call whose body sets one of ``flags`` also needs that flag's scope.

    A call lacking one gets the 403 of :func:`~airflow_provider_gong.testing.auth.check_scopes`; a body
    that is not JSON needs no extra scope (the handler answers its 400).

    :param handler: The route's handler.
    :param flags: The flags and their scopes.
    """

    def guarded(request: Request) -> Answer:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            payload = None
        needed = [flag.scope for flag in flags if flag.wanted(payload)]
        denied = check_scopes(request.config, needed, request.request_id)
        return denied if denied is not None else handler(request)

    return guarded


#: ``listCallsExtensive`` hands out media URLs only with ``api:calls:read:media-url``.
MEDIA_URL_FLAG = FlagScope(("contentSelector", "exposedFields", "media"), CALLS_READ_MEDIA_URL_SCOPE)

#: Every emulated operation.
TABLE: tuple[Route, ...] = (
    Route("GET", "/v2/users", "listUsers", (USERS_READ_SCOPE,), users.list_users),
    Route("GET", "/v2/users/{id}", "getUser", (USERS_READ_SCOPE,), users.get_user),
    Route(
        "GET",
        "/v2/users/{id}/settings-history",
        "getUserHistory",
        (USERS_READ_SCOPE,),
        users.get_user_history,
    ),
    Route("POST", "/v2/users/extensive", "listMultipleUsers", (USERS_READ_SCOPE,), users.list_multiple_users),
    Route("GET", "/v2/calls", "listCalls", (CALLS_READ_BASIC_SCOPE,), calls.list_calls),
    Route("GET", "/v2/calls/{id}", "getCall", (CALLS_READ_BASIC_SCOPE,), calls.get_call),
    Route(
        "POST",
        "/v2/calls/extensive",
        "listCallsExtensive",
        (CALLS_READ_EXTENSIVE_SCOPE,),
        flag_scoped(calls.list_calls_extensive, MEDIA_URL_FLAG),
    ),
    Route(
        "POST",
        "/v2/calls/transcript",
        "getCallTranscripts",
        (CALLS_READ_TRANSCRIPT_SCOPE,),
        calls.get_call_transcripts,
    ),
    Route(
        "POST",
        "/v2/stats/interaction",
        "listInteractionStats",
        (scope.STATS_INTERACTION_SCOPE,),
        stats.list_interaction_stats,
    ),
    Route(
        "POST",
        "/v2/stats/activity/scorecards",
        "listAnsweredScorecards",
        (scope.STATS_SCORECARDS_SCOPE,),
        stats.list_answered_scorecards,
    ),
    Route(
        "POST",
        "/v2/stats/activity/day-by-day",
        "listMultipleUsersDayByDayActivity",
        (scope.STATS_USER_ACTIONS_DETAILED_SCOPE,),
        stats.list_multiple_users_day_by_day_activity,
    ),
    Route(
        "POST",
        "/v2/stats/activity/aggregate",
        "listMultipleUsersAggregateActivity",
        (scope.STATS_USER_ACTIONS_SCOPE,),
        stats.list_multiple_users_aggregate_activity,
    ),
    Route(
        "POST",
        "/v2/stats/activity/aggregate-by-period",
        "listMultipleUsersAggregateByPeriod",
        (scope.STATS_USER_ACTIONS_SCOPE,),
        stats.list_multiple_users_aggregate_by_period,
    ),
    Route(
        "GET", "/v2/workspaces", "listWorkspaces", (scope.WORKSPACES_READ_SCOPE,), settings.list_workspaces
    ),
    Route(
        "GET", "/v2/settings/trackers", "listTrackers", (scope.TRACKERS_READ_SCOPE,), settings.list_trackers
    ),
    Route(
        "GET",
        "/v2/settings/scorecards",
        "listScorecards",
        (scope.SCORECARDS_READ_SCOPE,),
        settings.list_scorecards,
    ),
    Route("GET", "/v2/settings/briefs", "listBriefs", (scope.BRIEFS_READ_SCOPE,), settings.list_briefs),
    Route(
        "GET",
        "/v2/call-outcomes",
        "listCallOutcomes",
        (scope.CALL_OUTCOMES_READ_SCOPE,),
        settings.list_call_outcomes,
    ),
    Route(
        "GET", "/v2/all-permission-profiles", "listPermissionProfile", (), settings.list_permission_profile
    ),
    Route("GET", "/v2/permission-profile", "getPermissionProfile", (), settings.get_permission_profile),
    Route(
        "GET",
        "/v2/permission-profile/users",
        "listPermissionProfileUsers",
        (USERS_READ_SCOPE,),
        settings.list_permission_profile_users,
    ),
    Route(
        "GET",
        "/v2/library/folders",
        "getLibraryStructure",
        (scope.LIBRARY_READ_SCOPE,),
        library.get_library_structure,
    ),
    Route(
        "GET",
        "/v2/library/folder-content",
        "getCallsInSpecificFolder",
        (scope.LIBRARY_READ_SCOPE,),
        library.get_calls_in_specific_folder,
    ),
    Route("GET", "/v2/logs", "listLogs", (scope.LOGS_READ_SCOPE,), logs.list_logs),
    Route("GET", "/v2/coaching", "listUsers_1", (scope.COACHING_READ_SCOPE,), coaching.list_coaching),
    Route(
        "POST",
        "/v2/calls/users-access",
        "getUsersAccessToCalls",
        (scope.CALL_USER_ACCESS_READ_SCOPE,),
        access.get_users_access_to_calls,
    ),
    Route("GET", "/v2/flows", "listFlows", (scope.FLOWS_READ_SCOPE,), engage.list_flows),
    Route(
        "GET", "/v2/flows/folders", "listFlowsFolders", (scope.FLOWS_READ_SCOPE,), engage.list_flows_folders
    ),
    Route("POST", "/v2/flows/steps", "getFlowSteps", (scope.FLOWS_READ_SCOPE,), engage.get_flow_steps),
    Route(
        "POST",
        "/v2/flows/prospects",
        "getProspectsAssignedFlows",
        (scope.FLOWS_READ_SCOPE,),
        engage.get_prospects_assigned_flows,
    ),
    Route(
        "GET",
        "/v2/flows/prospects/bulk-assignments/{id}",
        "getFlowProspectsBulkAssignment",
        (scope.FLOWS_READ_SCOPE,),
        engage.get_flow_prospects_bulk_assignment,
    ),
    Route("POST", "/v2/tasks", "listTasks", (scope.TASKS_READ_SCOPE,), engage.list_tasks),
    Route(
        "GET",
        "/v2/crm/integrations",
        "listGenericCrmIntegration",
        (scope.CRM_INTEGRATIONS_READ_SCOPE,),
        crm.list_generic_crm_integration,
    ),
    Route(
        "GET",
        "/v2/crm/entity-schema",
        "listCrmSchemaFields",
        (scope.CRM_SCHEMA_SCOPE,),
        crm.list_crm_schema_fields,
    ),
    Route("GET", "/v2/crm/entities", "getCrmObjects", (scope.CRM_GET_OBJECTS_SCOPE,), crm.get_crm_objects),
    Route(
        "GET",
        "/v2/crm/request-status",
        "getRequestStatus",
        (scope.CRM_UPLOAD_SCOPE,),
        crm.get_request_status,
    ),
    Route(
        "GET",
        "/v2/data-privacy/data-for-email-address",
        "findAllReferencesToEmailAddress",
        (scope.DATA_PRIVACY_READ_SCOPE,),
        privacy.find_all_references_to_email_address,
    ),
    Route(
        "GET",
        "/v2/data-privacy/data-for-phone-number",
        "findAllReferencesToPhoneNumber",
        (scope.DATA_PRIVACY_READ_SCOPE,),
        privacy.find_all_references_to_phone_number,
    ),
)

#: Stats label of calls that match no route (unknown path or wrong method).
ROUTE_OTHER = "other"
#: Stats labels of the routes of :data:`TABLE`.
ROUTES = tuple(route.label for route in TABLE)


@dataclasses.dataclass(frozen=True)
class Match:
    """Where one request goes.

    :param route: The route, or ``None`` (404, or 405 when ``allowed`` is not empty).
    :param params: Path parameters of the route.
    :param allowed: Methods served at the path, when the path is known.
    """

    route: Route | None
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    allowed: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The stats label of the request."""
        return self.route.label if self.route is not None else ROUTE_OTHER


class Router:
    """Matches requests against a route table.

    :param routes: The table; one method may appear once per path template.
    """

    def __init__(self, routes: Sequence[Route]) -> None:
        by_template: dict[str, dict[str, Route]] = {}
        for route in routes:
            methods = by_template.setdefault(route.path, {})
            if route.method in methods:
                raise ValueError(f"duplicate route {route.label}")
            methods[route.method] = route
        self._literal: dict[str, dict[str, Route]] = {}
        patterns: list[tuple[int, re.Pattern[str], dict[str, Route]]] = []
        for template, methods in by_template.items():
            names = _PARAMETER_RE.findall(template)
            if not names:
                self._literal[template] = methods
                continue
            pattern = "".join(
                f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
                for index, part in enumerate(_PARAMETER_RE.split(template))
            )
            patterns.append((len(names), re.compile(pattern), methods))
        patterns.sort(key=lambda entry: entry[0])  # stable: fewest parameters first, then table order
        self._patterns = [(pattern, methods) for _, pattern, methods in patterns]

    def match(self, method: str, path: str) -> Match:
        """Find the route of ``method path``.

        :param method: HTTP method.
        :param path: Request path.
        """
        methods = self._literal.get(path)
        params: dict[str, str] = {}
        if methods is None:
            for pattern, candidates in self._patterns:
                found = pattern.fullmatch(path)
                if found is not None:
                    methods, params = candidates, found.groupdict()
                    break
            else:
                return Match(None)
        route = methods.get(method)
        if route is None:
            return Match(None, allowed=tuple(methods))
        return Match(route, params)


_ROUTER = Router(TABLE)


def match(method: str, path: str) -> Match:
    """Find the route of ``method path`` in :data:`TABLE`.

    :param method: HTTP method.
    :param path: Request path.
    """
    return _ROUTER.match(method, path)
