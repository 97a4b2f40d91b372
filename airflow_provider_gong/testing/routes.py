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
from airflow_provider_gong.testing.resources import calls, users

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
