"""Typed errors raised by the Gong provider.

Callers act on the class (``except GongRateLimitError``), never on message text. Every error that comes
from an answer of Gong carries ``status_code``, ``request_id`` (what Gong support asks for) and ``errors``
(Gong's own list of messages).
"""

from __future__ import annotations

import re
from typing import Any

from airflow.sdk.exceptions import AirflowException

__all__ = [
    "GongApiError",
    "GongAuthError",
    "GongBadRequestError",
    "GongConfigError",
    "GongConnectionError",
    "GongError",
    "GongIncompleteAnswerError",
    "GongNotFoundError",
    "GongRateLimitError",
    "GongResultTooLargeError",
    "GongServerError",
    "GongTimeoutError",
    "api_error_class",
    "describe_keys",
    "error_from_answer",
    "redact",
]

#: The OAuth scope every call of this provider needs.
USERS_SCOPE = "api:users:read"
#: At most this much of a body that is not Gong's JSON is quoted in an error.
EXCERPT_CHARS = 200
#: What stands in an error's text where a credential was.
REDACTED = "***"


class GongError(AirflowException):
    """Base class of every error raised by the Gong provider."""


class GongConfigError(GongError, ValueError):
    """The Gong connection or a hook argument is unusable; raised before any request is sent."""


class GongResultTooLargeError(GongError):
    """A task's result is too large for XCom; the message names the options (``output_path``, ``fields``)."""


class GongConnectionError(GongError):
    """
    Gong could not be reached (refused, reset, DNS, TLS), after all retries; chains the cause.

    :param message: What failed, naming the call and the base URL.
    :param retryable: Whether another attempt may succeed (a TLS certificate error will not).
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class GongTimeoutError(GongConnectionError):
    """Gong did not answer within the timeout after all retries; chains the cause."""


class GongApiError(GongError):
    """
    Gong answered with an error, or with a body that is not what Gong documents.

    :param status_code: HTTP status of the answer.
    :param method: HTTP method of the request, for the message.
    :param path: URL path of the request (no query string, no host), for the message.
    :param request_id: Gong's ``requestId`` from the body, when there was one.
    :param errors: Gong's ``errors`` list from the body (empty when the body had none).
    :param detail: What to say when Gong's body gave no error text (e.g. an excerpt of an HTML page).
    :param hint: An extra sentence telling the user what to do (default: the class's ``default_hint``).
    :param retry_after: Seconds Gong asked to wait (its ``Retry-After`` on a 429 or a 503), or ``None``.
    """

    #: The hint of every error of this class that is not given one.
    default_hint: str | None = None

    def __init__(
        self,
        status_code: int,
        method: str,
        path: str,
        *,
        request_id: str | None = None,
        errors: list[str] | None = None,
        detail: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code: int = status_code  # type: ignore[assignment]  # AirflowException: HTTPStatus
        self.method = method
        self.path = path
        self.request_id = request_id
        self.errors: list[str] = list(errors or [])
        self.detail = detail
        self.hint = hint or self.default_hint
        self.retry_after = retry_after
        super().__init__(self._compose())

    def _compose(self) -> str:
        what = "; ".join(self.errors) or self.detail or "no error message in the answer"
        message = f"Gong API {self.status_code} on {self.method} {self.path}: {what}"
        if self.request_id:
            message += f" (requestId {self.request_id})"
        if self.hint:
            message += f". {self.hint}"
        return message

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions: rebuild from the
        # message and every attribute (those set after construction too, e.g. ``missing_ids``).
        return (_rebuild_api_error, (type(self), self.args, dict(self.__dict__)))


def _rebuild_api_error(
    cls: type[GongApiError], args: tuple[object, ...], state: dict[str, object]
) -> GongApiError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class GongBadRequestError(GongApiError):
    """400: Gong found the request malformed. Not retried."""


class GongAuthError(GongApiError):
    """401 or 403: the credentials, their scope or the tenant base URL are wrong. Not retried."""

    default_hint = (
        f"Check the access key and secret (or OAuth token), that they carry the scope '{USERS_SCOPE}', "
        "and that the connection's host is your company's own Gong API base URL "
        "(e.g. https://us-12345.api.gong.io, shown next to the API keys in Gong)"
    )


class GongNotFoundError(GongApiError):
    """404: the user (or users) asked for do not exist. Not retried."""


class GongRateLimitError(GongApiError):
    """
    429: Gong's rate limit (per second or per day, per company) is exceeded.

    Its ``retry_after`` is the seconds Gong asked to wait (from ``Retry-After``), or ``None`` when it did
    not say.
    """


class GongServerError(GongApiError):
    """5xx: Gong (or a proxy in front of it) failed. Retried after its ``Retry-After``, else with backoff."""


class GongIncompleteAnswerError(GongApiError):
    """
    Gong's answer was cut short or cannot be decoded: JSON that ends early behind a correct
    ``Content-Length``, or a corrupt compressed body. Transient: retried with backoff.
    """


def api_error_class(status_code: int) -> type[GongApiError]:
    """
    Return the most specific error class for an HTTP status.

    :param status_code: HTTP status of Gong's answer.
    """
    if status_code == 400:
        return GongBadRequestError
    if status_code in (401, 403):
        return GongAuthError
    if status_code == 404:
        return GongNotFoundError
    if status_code == 429:
        return GongRateLimitError
    if status_code >= 500:
        return GongServerError
    return GongApiError


def error_from_answer(
    status_code: int,
    method: str,
    path: str,
    *,
    body: Any,
    text: str,
    content_type: str | None,
    retry_after: float | None = None,
    hint: str | None = None,
    secrets: tuple[str, ...] = (),
) -> GongApiError:
    """
    Build the typed error for an answer of Gong: an error status, or a 2xx whose body is not a JSON object.

    Gong's ``requestId`` and ``errors`` come from the body; a body without them (an HTML page from a
    proxy, truncated JSON) is described by its content type and a short excerpt.

    :param status_code: HTTP status of the answer.
    :param method: HTTP method of the request.
    :param path: URL path of the request.
    :param body: The body decoded as JSON, or ``None`` when it is not JSON.
    :param text: The body as text (for the excerpt).
    :param content_type: The answer's ``Content-Type``.
    :param retry_after: Seconds from ``Retry-After``.
    :param hint: An extra sentence telling the user what to do.
    :param secrets: Credential values (and the ``Authorization`` value) to redact from whatever of the
        body the error quotes: a proxy's error page may echo the request's headers.
    """
    success = 200 <= status_code < 300
    errors = [] if success else [redact(item, secrets) for item in _errors_of(body)]
    request_id = body.get("requestId") if isinstance(body, dict) else None
    detail = None if errors else redact(_describe_body(body, text, content_type), secrets)
    cls = GongApiError if success else api_error_class(status_code)
    if success and body is None and _looks_like_json(text, content_type):
        cls = GongIncompleteAnswerError
    return cls(
        status_code,
        method,
        path,
        request_id=None if request_id is None else redact(str(request_id), secrets),
        errors=errors,
        detail=detail,
        hint=hint,
        retry_after=retry_after,
    )


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """
    Replace every credential value in ``text`` with ``***``, longest first, in any letter case.

    :param text: Text that may quote a request's headers (e.g. a proxy's error page).
    :param secrets: The values to remove (empty ones are ignored).
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret.lower() in text.lower():
            # Any case: a proxy may echo the request's headers lowercased.
            text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
    return text


def _looks_like_json(text: str, content_type: str | None) -> bool:
    """
    Whether an undecodable body was meant to be JSON (so it was cut short, not an HTML page).

    An empty body counts: Gong never answers a success with nothing, and a connection closed in the middle
    of the headers reads as a complete answer with no body.
    """
    if "json" in (content_type or "").lower() or not text.strip():
        return True
    return text.lstrip()[:1] in ("{", "[")


def describe_keys(body: Any) -> str:
    """
    Say what a JSON body holds, for errors about its shape (``keys a, b`` or ``a JSON list``).

    :param body: A decoded JSON value.
    """
    if isinstance(body, dict):
        return "keys " + ", ".join(sorted(map(str, body))[:10]) if body else "an empty object"
    return f"a JSON {type(body).__name__}"


def _errors_of(body: Any) -> list[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        return [str(item) for item in errors]
    return [errors] if isinstance(errors, str) else []


def _describe_body(body: Any, text: str, content_type: str | None) -> str:
    content_type = content_type or "no content type"
    if body is not None:
        return f"unexpected answer shape: {describe_keys(body)}"
    flat = " ".join(text.split())
    if not flat:
        return f"empty answer ({content_type})"
    excerpt = flat[:EXCERPT_CHARS] + ("..." if len(flat) > EXCERPT_CHARS else "")
    return f"answer is not Gong's JSON ({content_type}): {excerpt!r}"
