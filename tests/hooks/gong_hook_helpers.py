"""Answers and checks shared by the GongHook tests (a plain module: pytest puts its folder on sys.path)."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ACCESS_KEY = "test-access-key"
ACCESS_SECRET = "test-access-secret-0001"
BASIC = "Basic " + base64.b64encode(f"{ACCESS_KEY}:{ACCESS_SECRET}".encode()).decode()

#: A user as Gong documents it, plus a field Gong added later (kept, never dropped).
USER: dict[str, Any] = {
    "id": "234599484848423",
    "emailAddress": "test@test.com",
    "created": "2018-02-17T02:30:00-08:00",
    "active": True,
    "emailAliases": ["testAlias@test.com"],
    "trustedEmailAddress": None,
    "firstName": "Jon",
    "lastName": "Snow",
    "title": None,
    "phoneNumber": None,
    "extension": None,
    "personalMeetingUrls": ["https://zoom.us/j/123"],
    "settings": {
        "webConferencesRecorded": True,
        "preventWebConferenceRecording": False,
        "telephonyCallsImported": False,
        "emailsImported": True,
        "preventEmailImport": False,
        "nonRecordedMeetingsImported": True,
        "gongConnectEnabled": True,
    },
    "managerId": None,
    "meetingConsentPageUrl": None,
    "spokenLanguages": [{"language": "en-US", "primary": True}],
    "conferencingProviders": ["Zoom"],
}

LIST_ENVELOPE = {
    "requestId": "list-1",
    "records": {"totalRecords": 1, "currentPageSize": 1, "currentPageNumber": 0},
    "users": [USER],
}


def gong_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def gong_error(
    status: int, *errors: str, request_id: str = "req-1", headers: dict[str, str] | None = None
) -> Response:
    """An error answer in Gong's documented shape."""
    return gong_json({"requestId": request_id, "errors": list(errors)}, status=status, headers=headers)


def user_ok(user: dict[str, Any] | None = None) -> Response:
    return gong_json({"requestId": "ok-1", "user": user or USER})


def serve_sequence(httpserver: HTTPServer, path: str, responses: list[Response], method: str = "GET") -> None:
    """Answer ``path`` with ``responses`` in order; the last one is repeated after that."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    httpserver.expect_request(path, method=method).respond_with_handler(handler)


def closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seen(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log]
