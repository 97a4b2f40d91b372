"""Typed errors raised by the Gong provider.

Callers act on the class (``except GongRateLimitError``), never on message text. Every error that comes
from an answer of Gong carries ``status_code``, ``request_id`` (what Gong support asks for) and ``errors``
(Gong's own list of messages).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from airflow_provider_gong.version_compat import AirflowException

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
    "auth_hint",
    "describe_keys",
    "error_from_answer",
    "redact",
]

#: The OAuth scope of Gong's users API (the hint of a 401/403 that names no endpoint).
USERS_SCOPE = "api:users:read"
#: At most this much of a body that is not Gong's JSON is quoted in an error.
EXCERPT_CHARS = 200
#: What stands in an error's text where a credential was.
REDACTED = "***"


class GongError(AirflowException):
    """
    Base class of every error raised by the Gong provider.

    Every error serialises one way: :meth:`to_json` gives its class name, its message and the keyword
    arguments that rebuild it (:attr:`fields`), and :meth:`from_json` rebuilds it. Pickling, Airflow's
    ``serialize()`` and the trigger's events all use them.

    :param message: What went wrong.
    """

    #: The keyword arguments of ``__init__`` that, with the class, rebuild the error.
    fields: ClassVar[tuple[str, ...]] = ("message",)

    def __init__(self, message: str = "") -> None:
        super().__init__(message)

    @property
    def message(self) -> str:
        """The error's text."""
        return str(self)

    def to_json(self) -> dict[str, Any]:
        """Return ``{"error_type": <class name>, "message": ..., <fields>}``, all JSON."""
        data: dict[str, Any] = {"error_type": type(self).__name__, "message": str(self)}
        for name in self.fields:
            value = getattr(self, name)
            data[name] = list(value) if isinstance(value, (list, tuple)) else value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GongError:
        """
        Rebuild an error from :meth:`to_json` (an unknown class gives a :class:`GongError` with the message).

        :param data: What :meth:`to_json` returned (extra keys are ignored).
        """
        found = _error_class(str(data.get("error_type")))
        error_cls: type[GongError] = found if found is not None else GongError
        kwargs = {name: data[name] for name in error_cls.fields if name in data}
        try:
            return error_cls(**kwargs)
        except (TypeError, ValueError):
            return GongError(str(data.get("message") or "Gong error"))

    def serialize(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """Airflow's form of an exception: the class path and the keyword arguments that rebuild it."""
        data = self.to_json()
        del data["error_type"]
        kwargs = {name: data[name] for name in self.fields}
        return f"{type(self).__module__}.{type(self).__qualname__}", (), kwargs

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions.
        return (_rebuild, (self.to_json(),))


def _rebuild(data: dict[str, Any]) -> GongError:
    return GongError.from_json(data)


def _rebuild_api_error(cls: type[GongError], args: tuple[object, ...], state: dict[str, Any]) -> GongError:
    """Load an error pickled by release 0.1 (its class, message and attributes) through :meth:`from_json`."""
    return GongError.from_json({"error_type": cls.__name__, "message": args[0] if args else "", **state})


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

    fields: ClassVar[tuple[str, ...]] = ("message", "retryable")

    def __init__(self, message: str = "", *, retryable: bool = True) -> None:
        self.retryable = bool(retryable)
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

    fields: ClassVar[tuple[str, ...]] = (
        "status_code",
        "method",
        "path",
        "request_id",
        "errors",
        "detail",
        "hint",
        "retry_after",
    )
    #: The hint of every error of this class that is not given one.
    default_hint: ClassVar[str | None] = None

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
        self.status_code: int = int(status_code)  # type: ignore[assignment]  # AirflowException: HTTPStatus
        self.method = method
        self.path = path
        self.request_id = request_id
        self.errors: list[str] = list(errors or [])
        self.detail = detail
        self.hint = hint or self.default_hint
        self.retry_after = None if retry_after is None else float(retry_after)
        super().__init__(self._compose())

    def _compose(self) -> str:
        what = "; ".join(self.errors) or self.detail or "no error message in the answer"
        message = f"Gong API {self.status_code} on {self.method} {self.path}: {what}"
        if self.request_id:
            message += f" (requestId {self.request_id})"
        if self.hint:
            message += f". {self.hint}"
        return message


class GongBadRequestError(GongApiError):
    """400: Gong found the request malformed. Not retried."""


def auth_hint(scopes: tuple[str, ...]) -> str:
    """
    What to check after a 401 or 403 of an endpoint: the credentials, its scopes, the base URL.

    :param scopes: The endpoint's scopes (:attr:`Endpoint.scopes
        <airflow_provider_gong.endpoints.Endpoint.scopes>`), the always-required one first.
    """
    if not scopes:
        carry = (
            " (Gong's spec names no OAuth scope for this endpoint: an OAuth app needs what its admin granted)"
        )
    elif len(scopes) == 1:
        carry = f", that they carry the scope '{scopes[0]}'"
    else:
        rest = ", ".join(f"'{scope}'" for scope in scopes[1:])
        carry = f", that they carry the scope '{scopes[0]}' (and {rest} where the call needs it)"
    return (
        f"Check the access key and secret (or OAuth token){carry}, "
        "and that the connection's host is your company's own Gong API base URL "
        "(e.g. https://us-12345.api.gong.io, shown next to the API keys in Gong)"
    )


class GongAuthError(GongApiError):
    """401 or 403: the credentials, their scope or the tenant base URL are wrong. Not retried."""

    default_hint = auth_hint((USERS_SCOPE,))


class GongNotFoundError(GongApiError):
    """
    404: what was asked for does not exist. Not retried.

    :param missing_ids: A fetch by ids: the ids Gong returned nothing for (empty otherwise).
    """

    fields: ClassVar[tuple[str, ...]] = (*GongApiError.fields, "missing_ids")

    def __init__(
        self,
        status_code: int,
        method: str,
        path: str,
        *,
        missing_ids: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.missing_ids: list[str] = [str(uid) for uid in missing_ids or []]
        super().__init__(status_code, method, path, **kwargs)


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


def _error_class(name: str) -> type[GongError] | None:
    """The error class called ``name``: :class:`GongError` or any class below it."""
    pending: list[type[GongError]] = [GongError]
    while pending:
        cls = pending.pop()
        if cls.__name__ == name:
            return cls
        pending += cls.__subclasses__()
    return None


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
    scopes: tuple[str, ...] | None = None,
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
    :param scopes: The endpoint's scopes, named by the hint of a 401 or 403 (``None``: the users scope).
    """
    success = 200 <= status_code < 300
    errors = [] if success else [redact(item, secrets) for item in _errors_of(body)]
    request_id = body.get("requestId") if isinstance(body, dict) else None
    detail = None if errors else redact(_describe_body(body, text, content_type), secrets)
    cls = GongApiError if success else api_error_class(status_code)
    if success and body is None and _looks_like_json(text, content_type):
        cls = GongIncompleteAnswerError
    if cls is GongAuthError and hint is None and scopes is not None:
        hint = auth_hint(scopes)
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
