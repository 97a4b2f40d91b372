"""Typed errors raised by the Gong provider.

Callers act on the class (``except GongRateLimitError``), never on message text. Every error that comes
from an answer of Gong carries ``status_code``, ``request_id`` (what Gong support asks for) and ``errors``
(Gong's own list of messages).
"""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowException

__all__ = [
    "GongApiError",
    "GongAuthError",
    "GongBadRequestError",
    "GongConfigError",
    "GongConnectionError",
    "GongError",
    "GongNotFoundError",
    "GongRateLimitError",
    "GongResultTooLargeError",
    "GongServerError",
    "GongTimeoutError",
    "api_error_class",
]

#: The OAuth scope every call of this provider needs.
USERS_SCOPE = "api:users:read"


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
    :param hint: An extra sentence telling the user what to do.
    """

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
    ) -> None:
        self.status_code: int = status_code  # type: ignore[assignment]  # AirflowException: HTTPStatus
        self.method = method
        self.path = path
        self.request_id = request_id
        self.errors: list[str] = list(errors or [])
        self.detail = detail
        self.hint = hint
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
        # Keyword-only arguments do not survive the default pickling of exceptions.
        return (
            _rebuild_api_error,
            (
                type(self),
                self.status_code,
                self.method,
                self.path,
                self.request_id,
                self.errors,
                self.detail,
                self.hint,
                getattr(self, "retry_after", None),
            ),
            # Attributes set after construction (e.g. ``missing_ids``) travel as state.
            dict(self.__dict__),
        )


def _rebuild_api_error(
    cls: type[GongApiError],
    status_code: int,
    method: str,
    path: str,
    request_id: str | None,
    errors: list[str],
    detail: str | None,
    hint: str | None,
    retry_after: float | None,
) -> GongApiError:
    if issubclass(cls, GongRateLimitError):
        return cls(
            status_code,
            method,
            path,
            request_id=request_id,
            errors=errors,
            detail=detail,
            hint=hint,
            retry_after=retry_after,
        )
    return cls(status_code, method, path, request_id=request_id, errors=errors, detail=detail, hint=hint)


class GongBadRequestError(GongApiError):
    """400: Gong found the request malformed. Not retried."""


class GongAuthError(GongApiError):
    """401 or 403: the credentials, their scope or the tenant base URL are wrong. Not retried."""

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
    ) -> None:
        hint = hint or (
            f"Check the access key and secret (or OAuth token), that they carry the scope '{USERS_SCOPE}', "
            "and that the connection's host is your company's own Gong API base URL "
            "(e.g. https://us-12345.api.gong.io, shown next to the API keys in Gong)"
        )
        super().__init__(
            status_code, method, path, request_id=request_id, errors=errors, detail=detail, hint=hint
        )


class GongNotFoundError(GongApiError):
    """404: the user (or users) asked for do not exist. Not retried."""


class GongRateLimitError(GongApiError):
    """
    429: Gong's rate limit (per second or per day, per company) is exceeded.

    :param retry_after: Seconds Gong asked to wait (from ``Retry-After``), or ``None`` when it did not say.
    """

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
        self.retry_after = retry_after
        super().__init__(
            status_code, method, path, request_id=request_id, errors=errors, detail=detail, hint=hint
        )


class GongServerError(GongApiError):
    """5xx: Gong (or a proxy in front of it) failed. Retried with backoff."""


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
