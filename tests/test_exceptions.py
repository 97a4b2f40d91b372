"""The typed errors: hierarchy, messages, status mapping, pickling."""

from __future__ import annotations

import pickle

import pytest

from airflow_provider_gong.exceptions import (
    USERS_SCOPE,
    GongApiError,
    GongAuthError,
    GongBadRequestError,
    GongConfigError,
    GongConnectionError,
    GongError,
    GongNotFoundError,
    GongRateLimitError,
    GongServerError,
    GongTimeoutError,
    api_error_class,
)
from airflow_provider_gong.version_compat import AirflowException

API_ERRORS = [
    GongApiError,
    GongBadRequestError,
    GongAuthError,
    GongNotFoundError,
    GongRateLimitError,
    GongServerError,
]


@pytest.mark.parametrize(
    "cls", [*API_ERRORS, GongConfigError, GongConnectionError, GongTimeoutError], ids=lambda c: c.__name__
)
def test_every_error_is_an_airflow_exception(cls: type[Exception]) -> None:
    assert issubclass(cls, GongError)
    assert issubclass(cls, AirflowException)


@pytest.mark.parametrize("cls", API_ERRORS[1:], ids=lambda c: c.__name__)
def test_api_errors_share_one_base(cls: type[Exception]) -> None:
    assert issubclass(cls, GongApiError)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(GongConfigError, ValueError)
    assert not issubclass(GongConfigError, GongApiError)


def test_timeout_is_a_connection_error() -> None:
    assert issubclass(GongTimeoutError, GongConnectionError)
    assert not issubclass(GongConnectionError, GongApiError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, GongBadRequestError),
        (401, GongAuthError),
        (403, GongAuthError),
        (404, GongNotFoundError),
        (429, GongRateLimitError),
        (500, GongServerError),
        (502, GongServerError),
        (503, GongServerError),
        (504, GongServerError),
        (599, GongServerError),
        (405, GongApiError),
        (418, GongApiError),
        (200, GongApiError),
    ],
)
def test_api_error_class(status: int, cls: type[GongApiError]) -> None:
    assert api_error_class(status) is cls


def test_message_with_errors_and_request_id() -> None:
    error = GongNotFoundError(404, "GET", "/v2/users/123", request_id="abc", errors=["User not found"])

    assert str(error) == "Gong API 404 on GET /v2/users/123: User not found (requestId abc)"
    assert (error.status_code, error.request_id, error.errors) == (404, "abc", ["User not found"])
    assert (error.method, error.path) == ("GET", "/v2/users/123")


def test_message_joins_several_errors() -> None:
    error = GongBadRequestError(400, "POST", "/v2/users/extensive", errors=["bad cursor", "bad filter"])

    assert str(error) == "Gong API 400 on POST /v2/users/extensive: bad cursor; bad filter"


def test_message_uses_detail_without_errors() -> None:
    error = GongServerError(502, "GET", "/v2/users", detail="answer is not Gong's JSON (text/html): '<html>'")

    assert str(error) == "Gong API 502 on GET /v2/users: answer is not Gong's JSON (text/html): '<html>'"
    assert error.errors == []
    assert error.request_id is None


def test_message_without_any_text() -> None:
    assert str(GongApiError(418, "GET", "/v2/users")) == (
        "Gong API 418 on GET /v2/users: no error message in the answer"
    )


def test_message_ends_with_the_hint() -> None:
    error = GongApiError(409, "GET", "/v2/users", errors=["conflict"], request_id="r", hint="Try later")

    assert str(error) == "Gong API 409 on GET /v2/users: conflict (requestId r). Try later"


def test_errors_list_is_copied() -> None:
    errors = ["one"]
    error = GongApiError(400, "GET", "/v2/users", errors=errors)
    errors.append("two")

    assert error.errors == ["one"]


def test_auth_error_hints_at_scope_and_tenant_url() -> None:
    message = str(GongAuthError(403, "GET", "/v2/users/1", errors=["Access denied"], request_id="r-9"))

    assert message.startswith("Gong API 403 on GET /v2/users/1: Access denied (requestId r-9). ")
    assert USERS_SCOPE == "api:users:read"
    assert f"'{USERS_SCOPE}'" in message
    assert "base URL" in message
    assert "https://us-12345.api.gong.io" in message


def test_auth_error_keeps_a_given_hint() -> None:
    error = GongAuthError(401, "GET", "/v2/users", hint="Renew the OAuth token")

    assert str(error).endswith(". Renew the OAuth token")
    assert USERS_SCOPE not in str(error)


def test_rate_limit_error_carries_retry_after() -> None:
    assert GongRateLimitError(429, "GET", "/v2/users", retry_after=2.5).retry_after == 2.5
    assert GongRateLimitError(429, "GET", "/v2/users").retry_after is None


@pytest.mark.parametrize(
    "error",
    [
        GongApiError(418, "GET", "/v2/users", request_id="r1", errors=["teapot"], detail="d", hint="h"),
        GongBadRequestError(400, "POST", "/v2/users/extensive", request_id="r2", errors=["bad"]),
        GongAuthError(401, "GET", "/v2/users/1", request_id="r3", errors=["denied"]),
        GongNotFoundError(404, "GET", "/v2/users/1", request_id="r4", errors=["User not found"]),
        GongRateLimitError(429, "GET", "/v2/users", request_id="r5", errors=["limit"], retry_after=3600.0),
        GongRateLimitError(429, "GET", "/v2/users", request_id="r6"),
        GongServerError(502, "GET", "/v2/users", detail="answer is not Gong's JSON"),
    ],
    ids=lambda error: type(error).__name__ + str(error.request_id),
)
def test_api_errors_survive_pickling(error: GongApiError) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    for name in ("status_code", "method", "path", "request_id", "errors", "detail", "hint"):
        assert getattr(copy, name) == getattr(error, name), name
    assert getattr(copy, "retry_after", None) == getattr(error, "retry_after", None)


@pytest.mark.parametrize("retryable", [True, False])
def test_connection_errors_survive_pickling(retryable: bool) -> None:
    error = GongConnectionError("Gong GET /v2/users: TLS failed", retryable=retryable)

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301

    assert type(copy) is GongConnectionError
    assert str(copy) == str(error)
    assert copy.retryable is retryable


def test_timeout_error_survives_pickling() -> None:
    copy = pickle.loads(pickle.dumps(GongTimeoutError("Gong GET /v2/users timed out after 30 s")))  # noqa: S301

    assert type(copy) is GongTimeoutError
    assert str(copy) == "Gong GET /v2/users timed out after 30 s"
    assert copy.retryable is True


#: Errors pickled by release 0.1 (``pickle.dumps``, base64), e.g. kept by a result backend or a cache.
RELEASE_0_1_PICKLES = {
    "GongRateLimitError": (
        "gASVKAEAAAAAAACMIGFpcmZsb3dfcHJvdmlkZXJfZ29uZy5leGNlcHRpb25zlIwSX3JlYnVpbGRfYXBpX2Vycm9ylJOUaACMEkdvbmdSYXRl"
        "TGltaXRFcnJvcpSTlIxNR29uZyBBUEkgNDI5IG9uIEdFVCAvdjIvdXNlcnM6IG5vIGVycm9yIG1lc3NhZ2UgaW4gdGhlIGFuc3dlciAocmVx"
        "dWVzdElkIHItMSmUhZR9lCiMC3N0YXR1c19jb2RllE2tAYwGbWV0aG9klIwDR0VUlIwEcGF0aJSMCS92Mi91c2Vyc5SMCnJlcXVlc3RfaWSU"
        "jANyLTGUjAZlcnJvcnOUXZSMBmRldGFpbJROjARoaW50lE6MC3JldHJ5X2FmdGVylEdAKAAAAAAAAHWHlFKULg=="
    ),
    "GongNotFoundError": (
        "gASVgQEAAAAAAACMIGFpcmZsb3dfcHJvdmlkZXJfZ29uZy5leGNlcHRpb25zlIwSX3JlYnVpbGRfYXBpX2Vycm9ylJOUaACMEUdvbmdOb3RG"
        "b3VuZEVycm9ylJOUjGBHb25nIEFQSSA0MDQgb24gUE9TVCAvdjIvdXNlcnMvZXh0ZW5zaXZlOiAyIG9mIDMgcmVxdWVzdGVkIHVzZXJzIG5v"
        "dCBmb3VuZDogMSwgMiAocmVxdWVzdElkIHItNymUhZR9lCiMC3N0YXR1c19jb2RllE2UAYwGbWV0aG9klIwEUE9TVJSMBHBhdGiUjBMvdjIv"
        "dXNlcnMvZXh0ZW5zaXZllIwKcmVxdWVzdF9pZJSMA3ItN5SMBmVycm9yc5RdlIwmMiBvZiAzIHJlcXVlc3RlZCB1c2VycyBub3QgZm91bmQ6"
        "IDEsIDKUYYwGZGV0YWlslE6MBGhpbnSUTowLcmV0cnlfYWZ0ZXKUTowLbWlzc2luZ19pZHOUXZQojAExlIwBMpRldYeUUpQu"
    ),
    "GongConnectionError": (
        "gASVWAAAAAAAAACMIGFpcmZsb3dfcHJvdmlkZXJfZ29uZy5leGNlcHRpb25zlIwTR29uZ0Nvbm5lY3Rpb25FcnJvcpSTlIwEYm9vbZSFlFKU"
        "fZSMCXJldHJ5YWJsZZSJc2Iu"
    ),
}


def test_errors_pickled_by_release_0_1_still_load() -> None:
    import base64
    import pickle

    limited, missing, unreachable = (
        pickle.loads(base64.b64decode(RELEASE_0_1_PICKLES[name]))  # noqa: S301 - fixed bytes of this test
        for name in ("GongRateLimitError", "GongNotFoundError", "GongConnectionError")
    )

    assert type(limited) is GongRateLimitError
    assert (limited.status_code, limited.request_id, limited.retry_after) == (429, "r-1", 12.0)
    assert str(limited) == "Gong API 429 on GET /v2/users: no error message in the answer (requestId r-1)"
    assert type(missing) is GongNotFoundError
    assert missing.missing_ids == ["1", "2"]
    assert missing.errors == ["2 of 3 requested users not found: 1, 2"]
    assert type(unreachable) is GongConnectionError
    assert (str(unreachable), unreachable.retryable) == ("boom", False)
