"""What the sync transport (requests) and the async one (httpx) share about one HTTP answer of Gong.

Both transports hand the status, the headers and the body bytes of an answer to :func:`decode_answer`,
and turn what their library raised into the provider's errors with :func:`transport_error`, so an answer
or a failure reads the same, and is retried the same, whichever path met it.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import requests

from airflow_provider_gong.client.retry import RETRY_AFTER_STATUSES, parse_retry_after
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConnectionError,
    GongError,
    GongIncompleteAnswerError,
    GongTimeoutError,
    error_from_answer,
    redact,
)

__all__ = [
    "DEADLINE_SLACK",
    "connection_error",
    "decode_answer",
    "incomplete_error",
    "redirect_error",
    "timeout_error",
    "transport_error",
]

#: How much longer than ``timeout`` one attempt may take before it is cut: the time to notice the
#: deadline and drop the connection.
DEADLINE_SLACK = 0.5


def decode_answer(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    method: str,
    path: str,
    *,
    url: str,
    secrets: tuple[str, ...] = (),
    max_retry_wait: float | None = None,
    scopes: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """
    Return the JSON object of a successful answer, or raise the typed error the answer calls for.

    - 2xx with a JSON object: the object.
    - 3xx: :class:`GongApiError` naming the status and the target's origin. Gong's API never redirects,
      and following one would send the request (a POST turned GET, or credentials) somewhere else.
    - 2xx whose body is JSON cut short: :class:`GongIncompleteAnswerError` (retried).
    - Anything else: the class of the status, with Gong's ``requestId`` and ``errors``, ``Retry-After``
      read on 429 and 503, and every credential in ``secrets`` redacted from the quoted body.

    :param status: HTTP status.
    :param headers: The answer's headers (case-insensitive mapping).
    :param content: The whole body.
    :param method: HTTP method of the request.
    :param path: URL path of the request (for messages).
    :param url: The URL requested (to resolve a relative ``Location``).
    :param secrets: Credential values to keep out of the error's text.
    :param max_retry_wait: The longest wait the caller sleeps itself: a longer ``Retry-After`` gets a hint
        naming the ways to wait it out.
    :param scopes: The endpoint's OAuth scopes, named by the hint of a 401 or 403.
    """
    if 300 <= status < 400:
        raise redirect_error(status, headers.get("Location"), method, path, url, secrets)
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:  # also UnicodeDecodeError
        body = None
    if 200 <= status < 300 and isinstance(body, dict):
        return body
    retry_after = parse_retry_after(headers.get("Retry-After")) if status in RETRY_AFTER_STATUSES else None
    hint = None
    if retry_after is not None and max_retry_wait is not None and retry_after > max_retry_wait:
        longer = (
            f"Gong asks to wait {retry_after:.0f} s, longer than this hook's max_retry_wait of "
            f"{max_retry_wait:g} s"
        )
        if status == 429:
            hint = (
                f"{longer} (the company's daily quota may be spent): wait it out with "
                "GongRateLimitSensor, or run GongUserOperator with deferrable=True"
            )
        else:
            hint = f"{longer} (Gong is unavailable, e.g. for maintenance): run the task again after that"
    raise error_from_answer(
        status,
        method,
        path,
        body=body,
        text=content.decode("utf-8", errors="replace"),
        content_type=headers.get("Content-Type"),
        retry_after=retry_after,
        hint=hint,
        secrets=secrets,
        scopes=scopes,
    )


def transport_error(
    error: BaseException,
    method: str,
    path: str,
    base_url: str,
    timeout: float,
    *,
    status: int = 0,
    expired: bool = False,
) -> GongError | None:
    """
    The provider's error for what a transport (requests or httpx) raised in one attempt.

    :param error: What the HTTP library raised.
    :param method: HTTP method.
    :param path: URL path.
    :param base_url: Gong API base URL.
    :param timeout: The attempt's bound, in seconds.
    :param status: The answer's status, when its headers had arrived.
    :param expired: Whether the attempt's deadline cut it.
    :return: The typed error, or ``None`` when the error is not the transport's (re-raise it as is).
    """
    if isinstance(error, GongError):
        return None  # already the provider's (e.g. a refused redirect)
    if expired or isinstance(error, (requests.Timeout, httpx.TimeoutException, asyncio.TimeoutError)):
        return timeout_error(method, path, base_url, timeout)
    if isinstance(error, (requests.exceptions.ContentDecodingError, httpx.DecodingError)):
        return incomplete_error(method, path, status or 200, error)
    if isinstance(error, requests.exceptions.SSLError) or (
        isinstance(error, httpx.TransportError) and _ssl_error(error) is not None
    ):
        return connection_error(method, path, base_url, error, tls=True)
    if isinstance(
        error, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, httpx.TransportError)
    ):
        return connection_error(method, path, base_url, error)
    return None


def _ssl_error(error: BaseException) -> BaseException | None:
    """The ``ssl.SSLError`` behind a transport's error, if any."""
    return _behind(error, lambda seen: isinstance(seen, ssl.SSLError))


def _os_error(error: BaseException) -> BaseException | None:
    """The operating system's error behind a transport's error (e.g. ``ConnectionRefusedError``), if any."""
    return _behind(error, lambda seen: isinstance(seen, OSError) and type(seen).__module__ == "builtins")


def _behind(error: BaseException, wanted: Callable[[BaseException], bool]) -> BaseException | None:
    """
    The first exception behind ``error`` that is ``wanted``: searched through the exception chain and
    the ``reason`` / first argument that requests and urllib3 wrap the original in.
    """
    pending: list[Any] = [error]
    for _ in range(20):
        if not pending:
            return None
        seen = pending.pop(0)
        if isinstance(seen, BaseException):
            if wanted(seen):
                return seen
            pending += [seen.__cause__, seen.__context__, getattr(seen, "reason", None), *seen.args[:1]]
    return None


def redirect_error(
    status: int, location: str | None, method: str, path: str, url: str, secrets: tuple[str, ...]
) -> GongApiError:
    """
    The error of an answer that redirects (Gong's API never does): names the status and the target's
    origin, never its path or query (which may carry a token).

    :param status: HTTP status (3xx).
    :param location: The ``Location`` header, if any.
    :param method: HTTP method of the request.
    :param path: URL path of the request.
    :param url: The URL requested (to resolve a relative ``Location``).
    :param secrets: Credential values to keep out of the message.
    """
    if location:
        try:
            target = urlsplit(urljoin(url, location))
            origin = redact(f"{target.scheme}://{target.netloc.rpartition('@')[2]}", secrets)
            where = f"a redirect to {origin}"
        except ValueError:
            where = "a redirect to an unreadable Location"
    else:
        where = "a redirect without a Location"
    return GongApiError(
        status,
        method,
        path,
        detail=f"{where}; Gong's API does not redirect, so nothing was followed",
        hint=(
            "Check the connection's host: it must be your company's Gong API base URL "
            "(e.g. https://us-12345.api.gong.io), not a web or proxy address"
        ),
    )


def timeout_error(method: str, path: str, base_url: str, timeout: float) -> GongTimeoutError:
    """
    The error of an attempt that got no complete answer within ``timeout`` (retried).

    :param method: HTTP method.
    :param path: URL path.
    :param base_url: Gong API base URL.
    :param timeout: The attempt's bound, in seconds.
    """
    return GongTimeoutError(
        f"Gong {method} {path} at {base_url} timed out after {timeout:g} s without a complete answer"
    )


def connection_error(
    method: str, path: str, base_url: str, cause: BaseException, *, tls: bool = False
) -> GongConnectionError:
    """
    The error of an attempt that could not reach Gong (retried, except a TLS failure).

    :param method: HTTP method.
    :param path: URL path.
    :param base_url: Gong API base URL.
    :param cause: The transport's exception. Only a type is named (its text may hold a URL): the
        operating system's or the ssl module's error behind it (``ConnectionRefusedError``,
        ``SSLCertVerificationError``), so requests and httpx read alike, else the library's own.
    :param tls: Whether TLS failed (a certificate problem will not go away by itself).
    """
    if tls:
        name = type(_ssl_error(cause) or cause).__name__
        return GongConnectionError(
            f"Gong {method} {path}: TLS failed with {base_url} ({name}); "
            "check the base URL and the certificate trust store",
            retryable=False,
        )
    name = type(_os_error(cause) or cause).__name__
    return GongConnectionError(f"Gong {method} {path}: connection to {base_url} failed ({name})")


def incomplete_error(method: str, path: str, status: int, cause: BaseException) -> GongIncompleteAnswerError:
    """
    The error of an answer whose body could not be decoded (corrupt compression; retried).

    :param method: HTTP method.
    :param path: URL path.
    :param status: HTTP status of the answer.
    :param cause: The transport's decoding exception.
    """
    del cause  # the libraries name the same failure differently: say what it is instead
    return GongIncompleteAnswerError(
        status, method, path, detail="the answer's body could not be decoded (corrupt compressed data)"
    )
