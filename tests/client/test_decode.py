"""The shared decoder of both transports, called directly: :func:`decode_answer` and :func:`transport_error`.

``decode_answer`` is pure (status, headers, bytes in; a dict or a typed error out). ``transport_error`` is
fed the exceptions requests and httpx really raise against local servers (a silent one, plain HTTP spoken
to with TLS, a closed port, a corrupt gzip body), so both libraries' failures are compared as they come.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import requests

from airflow_provider_gong.client.decode import decode_answer, transport_error
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongAuthError,
    GongConnectionError,
    GongError,
    GongIncompleteAnswerError,
    GongRateLimitError,
    GongServerError,
    GongTimeoutError,
    auth_hint,
)

URL = "https://us-1.api.gong.io/v2/calls/extensive"
PATH = "/v2/calls/extensive"
SECRET = "test-access-secret-0001"
CALLS_SCOPES = ("api:calls:read:extensive", "api:calls:read:media-url")


def decode(status: int, content: bytes, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return decode_answer(status, headers or {}, content, "POST", PATH, url=URL, **kwargs)


def raised(status: int, content: bytes, headers: dict[str, str] | None = None, **kwargs: Any) -> GongError:
    with pytest.raises(GongError) as caught:
        decode(status, content, headers, **kwargs)
    return caught.value


# --- decode_answer -------------------------------------------------------------------------------


def test_a_json_object_on_200_is_returned() -> None:
    body = {"requestId": "r", "records": {"cursor": "c"}, "calls": []}
    assert decode(200, json.dumps(body).encode(), {"Content-Type": "application/json"}) == body


@pytest.mark.parametrize("status", [401, 403])
def test_an_auth_error_hint_names_the_endpoints_scopes(status: int) -> None:
    err = raised(status, b'{"requestId": "a-1", "errors": ["Unauthorized"]}', scopes=CALLS_SCOPES)

    assert type(err) is GongAuthError
    assert (err.status_code, err.request_id, err.errors) == (status, "a-1", ["Unauthorized"])
    assert err.hint == auth_hint(CALLS_SCOPES)
    assert (
        "carry the scope 'api:calls:read:extensive' (and 'api:calls:read:media-url' where the call needs it)"
        in str(err)
    )


def test_an_auth_error_without_scopes_names_the_users_scope() -> None:
    err = raised(401, b'{"errors": ["Unauthorized"]}')

    assert type(err) is GongAuthError
    assert "carry the scope 'api:users:read'," in str(err)
    assert "api:calls" not in str(err)


@pytest.mark.parametrize(
    ("status", "location", "where"),
    [
        (
            302,
            "https://user:pw@evil.example.com:8443/steal?token=abc",
            "a redirect to https://evil.example.com:8443",
        ),
        (301, "http://evil.example.com/v2/calls?token=abc#frag", "a redirect to http://evil.example.com"),
        (307, "/elsewhere?token=abc", "a redirect to https://us-1.api.gong.io"),  # relative: our own origin
        (308, None, "a redirect without a Location"),
    ],
)
def test_a_redirect_is_an_error_naming_only_the_targets_origin(
    status: int, location: str | None, where: str
) -> None:
    headers = {"Location": location} if location else {}
    # Even with a JSON object for a body: a 3xx is never taken as an answer.
    err = raised(status, b'{"records": {}, "calls": []}', headers)

    assert type(err) is GongApiError
    assert err.status_code == status
    assert err.detail == f"{where}; Gong's API does not redirect, so nothing was followed"
    for leaked in ("steal", "token", "abc", "user", "pw", "elsewhere", "frag"):
        assert leaked not in str(err)


def test_a_json_list_on_200_is_an_error_not_an_answer() -> None:
    err = raised(200, b'[{"id": "1"}]', {"Content-Type": "application/json"})

    assert type(err) is GongApiError
    assert (err.status_code, err.detail) == (200, "unexpected answer shape: a JSON list")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"records": {"cursor": "ab', "application/json"),  # cut short
        (b'[{"id": "1"}, {"id"', None),  # cut short, no content type: looks like JSON
        (b"", "application/json"),  # nothing at all
    ],
)
def test_truncated_json_on_200_is_an_incomplete_answer(content: bytes, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    err = raised(200, content, headers)

    assert type(err) is GongIncompleteAnswerError
    assert err.status_code == 200


def test_an_html_page_on_200_is_an_api_error_quoting_it() -> None:
    err = raised(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"})

    assert type(err) is GongApiError
    assert err.detail == "answer is not Gong's JSON (text/html): '<html><body>Sign in</body></html>'"


def test_credentials_are_redacted_from_what_the_error_quotes() -> None:
    gong = raised(
        500,
        json.dumps({"requestId": "z", "errors": [f"bad key {SECRET}"]}).encode(),
        {"Content-Type": "application/json"},
        secrets=(SECRET,),
    )
    proxy = raised(502, f"<html>Authorization: Basic {SECRET.upper()}</html>".encode(), secrets=(SECRET,))

    assert type(gong) is GongServerError and gong.errors == ["bad key ***"]
    assert type(proxy) is GongServerError
    assert SECRET.lower() not in str(proxy).lower() and "***" in str(proxy)


@pytest.mark.parametrize(
    ("status", "retry_after", "cls", "hint_says"),
    [
        (429, "120", GongRateLimitError, "wait it out with GongRateLimitSensor"),
        (429, "5", GongRateLimitError, None),
        (503, "900", GongServerError, "run the task again after that"),
    ],
)
def test_retry_after_is_read_and_a_long_one_gets_a_hint(
    status: int, retry_after: str, cls: type[GongApiError], hint_says: str | None
) -> None:
    err = raised(status, b'{"errors": ["slow down"]}', {"Retry-After": retry_after}, max_retry_wait=60)

    assert type(err) is cls
    assert isinstance(err, GongApiError)
    assert err.retry_after == float(retry_after)
    if hint_says is None:
        assert err.hint is None
    else:
        assert err.hint is not None and hint_says in err.hint
        assert (
            f"Gong asks to wait {retry_after} s, longer than this hook's max_retry_wait of 60 s" in err.hint
        )


# --- transport_error -----------------------------------------------------------------------------

Get = Callable[[str], Any]
LIBRARIES: dict[str, Get] = {
    "requests": lambda url: requests.get(url, timeout=0.5),
    "httpx": lambda url: httpx.get(url, timeout=0.5),
}
BASE = "https://us-1.api.gong.io"


def both(url: str) -> dict[str, GongError]:
    """What ``transport_error`` makes of each library's failure to GET ``url``."""
    errors: dict[str, GongError] = {}
    for name, get in LIBRARIES.items():
        try:
            get(url)
        except Exception as raw:
            typed = transport_error(raw, "GET", "/v2/users", BASE, 0.5)
            assert typed is not None, f"{name}: {type(raw).__name__} not recognised"
            errors[name] = typed
        else:
            pytest.fail(f"{name} got an answer from {url}")
    return errors


class _GarbledGzip(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"this is not gzip at all"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def plain_http() -> Iterator[str]:
    """A plain-HTTP server on loopback (``host:port``) whose answers claim a gzip body that is not."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GarbledGzip)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A listening socket nobody accepts on: connecting works, no answer ever comes."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def closed() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def test_a_timeout_reads_the_same_from_both_libraries(silent: str) -> None:
    errors = both(f"http://{silent}/v2/users")

    for error in errors.values():
        assert type(error) is GongTimeoutError
        assert str(error) == (f"Gong GET /v2/users at {BASE} timed out after 0.5 s without a complete answer")
        assert error.retryable is True


def test_a_tls_failure_reads_the_same_from_both_libraries(plain_http: str) -> None:
    errors = both(f"https://{plain_http}/v2/users")  # TLS spoken to a plain-HTTP server

    for error in errors.values():
        assert type(error) is GongConnectionError
        assert error.retryable is False
        assert str(error) == (
            f"Gong GET /v2/users: TLS failed with {BASE} (SSLError); "
            "check the base URL and the certificate trust store"
        )


def test_a_refused_connection_is_the_same_class_from_both_libraries(closed: str) -> None:
    errors = both(f"http://{closed}/v2/users")

    for error in errors.values():
        assert type(error) is GongConnectionError
        assert error.retryable is True
        assert str(error).startswith(f"Gong GET /v2/users: connection to {BASE} failed (")


def test_a_refused_connection_reads_the_same_from_both_libraries(closed: str) -> None:
    errors = both(f"http://{closed}/v2/users")

    assert str(errors["requests"]) == str(errors["httpx"])


def test_a_corrupt_compressed_body_is_an_incomplete_answer_from_both_libraries(plain_http: str) -> None:
    errors = both(f"http://{plain_http}/v2/users")

    for error in errors.values():
        assert type(error) is GongIncompleteAnswerError
        assert (error.status_code, error.method, error.path) == (200, "GET", "/v2/users")
        assert error.detail is not None
        assert error.detail.startswith("the answer's body could not be decoded (")


def test_a_corrupt_compressed_body_reads_the_same_from_both_libraries(plain_http: str) -> None:
    errors = both(f"http://{plain_http}/v2/users")

    assert str(errors["requests"]) == str(errors["httpx"])


def test_what_is_not_a_transport_failure_is_left_alone() -> None:
    assert transport_error(ValueError("bug"), "GET", "/v2/users", BASE, 1.0) is None
    already = GongApiError(302, "GET", "/v2/users", detail="a redirect")
    assert transport_error(already, "GET", "/v2/users", BASE, 1.0) is None
    # The deadline cut an attempt, whatever the library raised on the way out.
    expired = transport_error(OSError("closed"), "GET", "/v2/users", BASE, 1.0, expired=True)
    assert type(expired) is GongTimeoutError
