"""The sync transport: ``requests`` sessions, one per thread, each attempt under a deadline.

It sends one request and hands back the status, the headers and the whole body; what they mean is read by
:func:`~airflow_provider_gong.client.decode.decode_answer`, shared with the async transport.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
import urllib3

from airflow_provider_gong.client.deadline import GongHTTPAdapter, deadline
from airflow_provider_gong.client.decode import DEADLINE_SLACK, redirect_error, timeout_error, transport_error
from airflow_provider_gong.client.environment import trust_store
from airflow_provider_gong.client.settings import USER_AGENT, GongSettings

__all__ = ["Answer", "SyncTransport"]

#: Most bytes taken from the socket by one read of an answer's body.
_READ_CHUNK = 64 * 1024


class Answer(NamedTuple):
    """One HTTP answer, read whole: what the decoder needs."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str


class _GongAuth(requests.auth.AuthBase):
    """Sets the Authorization header; being the session's auth keeps ``~/.netrc`` from replacing it."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "<GongAuth ***>"


class SyncTransport:
    """
    Send requests to one Gong company with ``requests``; thread-safe.

    Each thread gets its own keep-alive ``requests.Session`` (built on its first call, then reused), since
    a ``Session`` is not documented as thread-safe. Redirects are refused, never followed; every attempt
    is bounded as a whole by ``timeout`` (plus :data:`~airflow_provider_gong.client.decode.DEADLINE_SLACK`).

    :param settings: The resolved connection.
    """

    def __init__(self, settings: GongSettings) -> None:
        self._settings = settings
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """This thread's keep-alive session (built on first use, then reused)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = GongHTTPAdapter()
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.auth = _GongAuth(self._settings.authorization)
            store = trust_store()
            if store is not None:
                session.verify = store
            # Refused before requests looks at the Location at all (it parses it even when not following).
            session.hooks["response"].append(self._refuse_redirect)
            session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        access_token: str | None = None,
    ) -> Answer:
        """
        Send one request and read its whole answer, or raise the typed transport error.

        :param method: HTTP method.
        :param path: Path below the base URL.
        :param params: Query parameters.
        :param json: JSON body.
        :param access_token: An OAuth app's current token, sent as ``Bearer`` instead of the settings'
            Authorization.
        :raises GongConnectionError: (or :class:`GongTimeoutError`) when no complete answer came.
        """
        settings = self._settings
        url = settings.base_url + path
        with deadline(settings.timeout + DEADLINE_SLACK) as attempt:
            status = 0
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    timeout=settings.timeout,
                    stream=True,
                    allow_redirects=False,
                    auth=None if access_token is None else _GongAuth(f"Bearer {access_token}"),
                )
                status = response.status_code
                content = _read_body(response)
            except Exception as err:
                typed = transport_error(
                    err,
                    method,
                    path,
                    settings.base_url,
                    settings.timeout,
                    status=status,
                    expired=attempt.expired,
                )
                if typed is None:
                    raise
                raise typed from err
            if attempt.expired:
                # Cut mid-answer: what arrived looks complete to http.client (its headers end at EOF).
                raise timeout_error(method, path, settings.base_url, settings.timeout)
        return Answer(status, response.headers, content, url)

    def close(self) -> None:
        """Close every session this transport opened (their pooled connections too)."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def _refuse_redirect(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """A session response hook: a redirect is an error, and nothing follows it."""
        if not 300 <= response.status_code < 400:
            return response
        request = response.request
        url = str(request.url)
        response.close()
        raise redirect_error(
            response.status_code,
            response.headers.get("Location"),
            str(request.method),
            urlsplit(url).path,
            url,
            self._settings.secrets,
        )


def _read_body(response: requests.Response) -> bytes:
    """
    Read a streamed answer's whole body and hand its connection back to the pool.

    The attempt's :func:`~airflow_provider_gong.client.deadline.deadline` bounds the read: a server that
    sends a byte now and then is cut when the attempt's time is up.
    """
    raw = response.raw
    # urllib3 >= 2: read1 returns what has arrived, never waits for more.
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        return response.content  # urllib3 1.x
    chunks: list[bytes] = []
    try:
        while chunk := _read1(read1):
            chunks.append(chunk)
    except BaseException:
        response.close()  # drop the connection: the rest of the body must not reach the next call
        raise
    raw.release_conn()
    return b"".join(chunks)


def _read1(read1: Callable[..., bytes]) -> bytes:
    """One ``read1`` of a urllib3 response, with urllib3's errors turned into requests' (as requests does)."""
    try:
        return read1(_READ_CHUNK, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as err:
        raise requests.exceptions.ReadTimeout(err) from err
    except urllib3.exceptions.DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err) from err
    except urllib3.exceptions.ProtocolError as err:
        raise requests.exceptions.ChunkedEncodingError(err) from err
