"""
Bad input fails at once with an error that names the problem, and costs no call to Gong.

Kinds covered: user ids (empty, spaces only, letters, negative, float, bool, 21 digits, None inside a
list, nested list, dict, a bare string or bytes where a list is expected, several bad ids among good
ones), connections (missing id, ``ftp://`` host, http to a non-loopback host, credentials or a query in
the host, both auth modes, neither, half of Basic auth, non-numeric / zero / negative timeout, negative
calls_per_second, fractional max_retries, extras that are not JSON) and a ``GongUserOperator.user_ids``
template that renders to garbage through Airflow's own templating. Every id case asserts that the
emulator received zero requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pendulum
import pytest
from airflow.providers.common.compat.sdk import DAG, AirflowNotFoundException

from airflow_provider_gong.exceptions import GongConfigError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.testing import GongEmulator

CONN_ID = "gong_bad_input"


def _calls(gong: GongEmulator) -> int:
    return gong.stats()["gong_calls"]


# ---------------------------------------------------------------------------------------- user ids

# (id given, text the error must contain)
BAD_IDS: list[tuple[Any, str]] = [
    ("", "Invalid Gong user id '': it is empty"),
    ("   ", "Invalid Gong user id '   ': it is empty"),
    ("abc", "Invalid Gong user id 'abc': Gong user ids are 1-20 digits only"),
    ("12a45", "Invalid Gong user id '12a45'"),
    ("-5", "Invalid Gong user id '-5'"),
    (-5, "Invalid Gong user id -5"),
    (1.5, "Invalid Gong user id 1.5: expected a string or integer of 1-20 digits, got float"),
    ("1.5", "Invalid Gong user id '1.5'"),
    (True, "Invalid Gong user id True: expected a string or integer of 1-20 digits, got bool"),
    ("1" * 21, f"Invalid Gong user id '{'1' * 21}': it has 21 digits, more than Gong's 20"),
    (10**20, f"Invalid Gong user id {10**20}: it has 21 digits"),
    (None, "Invalid Gong user id None: expected a string or integer of 1-20 digits, got NoneType"),
    (["1"], "Invalid Gong user id ['1']: expected a string or integer of 1-20 digits, got list"),
    ({"id": "1"}, "Invalid Gong user id {'id': '1'}: expected a string or integer of 1-20 digits, got dict"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_IDS, ids=[repr(b)[:24] for b, _ in BAD_IDS])
def test_bad_id_for_one_user_names_it_and_sends_nothing(
    gong_emulator: GongEmulator, gong_emulator_connection: str, bad: Any, message: str
) -> None:
    hook = GongHook(calls_per_second=0)

    with pytest.raises(ValueError, match="Invalid Gong user id") as caught:
        hook.get_user(bad)

    assert message in str(caught.value)
    assert _calls(gong_emulator) == 0


@pytest.mark.parametrize(("bad", "message"), BAD_IDS, ids=[repr(b)[:24] for b, _ in BAD_IDS])
def test_bad_id_inside_a_list_names_it_with_its_position_and_sends_nothing(
    gong_emulator: GongEmulator, gong_emulator_connection: str, bad: Any, message: str
) -> None:
    good = list(gong_emulator.directory.ids[:3])
    hook = GongHook(calls_per_second=0)

    with pytest.raises(ValueError) as caught:
        hook.get_users([*good, bad])

    text = str(caught.value)
    assert text.startswith("1 invalid Gong user id(s): [3] ")
    assert message in text
    assert _calls(gong_emulator) == 0


def test_many_bad_ids_among_thousands_are_all_named_before_any_call(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    ids: list[Any] = [str(n) for n in range(1, 2_001)]
    ids[150], ids[1_200], ids[1_999] = "15O", None, "9" * 25
    hook = GongHook(calls_per_second=0)

    with pytest.raises(ValueError) as caught:
        hook.get_users(ids)

    text = str(caught.value)
    assert text.startswith("3 invalid Gong user id(s): ")
    assert "[150] Invalid Gong user id '15O'" in text
    assert "[1200] Invalid Gong user id None" in text
    assert f"[1999] Invalid Gong user id '{'9' * 25}': it has 25 digits" in text
    assert _calls(gong_emulator) == 0  # not even the first 100 good ids were sent


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("12345", "Invalid Gong user ids '12345': expected a list of ids, got str"),
        (b"12345", "Invalid Gong user ids b'12345': expected a list of ids, got bytes"),
        ({"id": "1"}, "Invalid Gong user ids {'id': '1'}: expected a list of ids, got dict"),
        (12345, "Invalid Gong user ids 12345: expected a list of ids, got int"),
    ],
    ids=["str", "bytes", "dict", "int"],
)
def test_ids_that_are_not_a_list_are_refused(
    gong_emulator: GongEmulator, gong_emulator_connection: str, bad: Any, message: str
) -> None:
    hook = GongHook(calls_per_second=0)

    with pytest.raises(ValueError) as caught:
        hook.get_users(bad)

    assert message in str(caught.value)
    assert _calls(gong_emulator) == 0


def test_bad_literal_ids_fail_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError) as caught:
        GongUserOperator(task_id="fetch", user_ids=["123", "12x"])

    assert "[1] Invalid Gong user id '12x'" in str(caught.value)


# ---------------------------------------------------------------------------------------- connections


ConnFactory = Callable[..., str]


def test_missing_connection_names_its_id() -> None:
    hook = GongHook("gong_does_not_exist", calls_per_second=0)

    with pytest.raises(AirflowNotFoundException) as caught:
        hook.get_user("1")

    assert "gong_does_not_exist" in str(caught.value)


# (connection fields, texts the error must contain)
BAD_CONNECTIONS: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"host": "ftp://us-1.api.gong.io", "login": "key-12345", "password": "secret-12345"},
        ["host 'ftp://us-1.api.gong.io' uses ftp://", "https://"],
    ),
    (
        {"host": "http://us-1.api.gong.io", "login": "key-12345", "password": "secret-12345"},
        ["refusing to send credentials over plain http to us-1.api.gong.io", "use https://"],
    ),
    (
        {"host": "http://10.0.0.7:8080", "login": "key-12345", "password": "secret-12345"},
        ["plain http to 10.0.0.7"],
    ),
    (
        {"host": "https://us-1.api.gong.io?x=1", "login": "key-12345", "password": "secret-12345"},
        ["must be a plain base URL", "no credentials, query or fragment"],
    ),
    (
        {"host": "https://:8443", "login": "key-12345", "password": "secret-12345"},
        ["names no server"],
    ),
    (
        {
            "host": "https://us-1.api.gong.io",
            "login": "key-12345",
            "password": "secret-12345",
            "extra": {"access_token": "token-12345"},
        },
        ["has both an access key/secret and an OAuth access_token", "keep exactly one"],
    ),
    (
        {"host": "https://us-1.api.gong.io"},
        ["has no credentials", "Access key (login)", "access_token"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "login": "key-12345"},
        ["has no Access key secret (password)"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "password": "secret-12345"},
        ["has no Access key (login)"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "extra": {"access_token": "token-12345", "timeout": "soon"}},
        ["'timeout'", "must be a number", "'soon'"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "extra": {"access_token": "token-12345", "timeout": 0}},
        ["'timeout'", "greater than 0 and at most 3600"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "extra": {"access_token": "token-12345", "timeout": -3}},
        ["'timeout'", "greater than 0 and at most 3600", "-3"],
    ),
    (
        {
            "host": "https://us-1.api.gong.io",
            "extra": {"access_token": "token-12345", "calls_per_second": -1},
        },
        ["'calls_per_second'", "at least 0 and at most 1000", "-1"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "extra": {"access_token": "token-12345", "max_retries": 1.5}},
        ["'max_retries'", "must be a whole number", "1.5"],
    ),
    (
        {"host": "https://us-1.api.gong.io", "extra": {"access_token": "token-12345", "timeout": True}},
        ["'timeout'", "must be a number", "True"],
    ),
]


@pytest.mark.parametrize(
    ("fields", "needles"),
    BAD_CONNECTIONS,
    ids=[
        "ftp-host",
        "http-remote-name",
        "http-remote-ip",
        "query-in-host",
        "no-server",
        "both-auth-modes",
        "no-credentials",
        "login-only",
        "password-only",
        "timeout-not-a-number",
        "timeout-zero",
        "timeout-negative",
        "calls-per-second-negative",
        "max-retries-fraction",
        "timeout-bool",
    ],
)
def test_bad_connection_is_a_config_error_naming_the_connection(
    make_conn: ConnFactory, fields: dict[str, Any], needles: list[str]
) -> None:
    conn_id = make_conn(CONN_ID, **fields)
    hook = GongHook(conn_id)

    with pytest.raises(GongConfigError) as caught:
        hook.get_user("1")

    text = str(caught.value)
    assert f"'{conn_id}'" in text
    for needle in needles:
        assert needle in text
    # The Test button says the same, without raising.
    ok, message = GongHook(conn_id).test_connection()
    assert ok is False
    assert f"'{conn_id}'" in message


def test_bad_connection_to_the_emulator_sends_nothing(
    gong_emulator: GongEmulator, make_conn: ConnFactory
) -> None:
    """Both auth modes at a real server: refused before any request, so the server sees none."""
    conn = gong_emulator.connection_dict()
    conn["extra"] = {"access_token": gong_emulator.config.token}
    conn_id = make_conn(CONN_ID, **conn)

    with pytest.raises(GongConfigError, match=f"'{CONN_ID}' has both"):
        GongHook(conn_id).get_users([gong_emulator.directory.ids[0]])

    assert _calls(gong_emulator) == 0


@pytest.mark.parametrize(
    ("host", "needle"),
    [
        ("https://key-12345:host-secret-9d2f7a@us-1.api.gong.io/?token=query-secret-41c8", "no credentials"),
        ("https://us-1.api.gong.io/v2?token=query-secret-41c8", "no credentials, query or fragment"),
        ("ftp://key-12345:host-secret-9d2f7a@us-1.api.gong.io", "uses ftp://"),
    ],
    ids=["userinfo-and-query", "query", "ftp-with-userinfo"],
)
def test_credentials_written_into_the_host_are_refused_without_being_echoed(
    make_conn: ConnFactory, host: str, needle: str
) -> None:
    conn_id = make_conn(CONN_ID, host=host, login="key-12345", password="secret-12345")

    with pytest.raises(GongConfigError) as caught:
        GongHook(conn_id).get_user("1")

    text = str(caught.value)
    assert f"'{conn_id}'" in text
    assert needle in text
    assert "us-1.api.gong.io" in text  # still says which host is wrong
    assert "host-secret-9d2f7a" not in text
    assert "query-secret-41c8" not in text


def test_bad_hook_arguments_name_the_argument(make_conn: ConnFactory) -> None:
    conn_id = make_conn(CONN_ID, host="https://us-1.api.gong.io", extra={"access_token": "token-12345"})

    with pytest.raises(GongConfigError) as caught:
        GongHook(conn_id, calls_per_second=-2).get_user("1")

    assert "argument 'calls_per_second'" in str(caught.value)
    assert f"'{conn_id}'" in str(caught.value)
    assert "-2" in str(caught.value)


# ---------------------------------------------------------------------------------------- operator template


@pytest.mark.parametrize(
    ("rendered_from", "message"),
    [
        ("12345, 12a45", "Invalid Gong user id '12a45'"),
        ({"id": "12345"}, "Invalid Gong user id"),
        ([["12345"]], "Invalid Gong user id ['12345']"),
        (None, "Invalid Gong user id 'None'"),
        ("", "the string is empty"),
        ('["12345", ', "it looks like a list but does not parse as JSON"),
        ([123.5], "Invalid Gong user id 123.5"),
    ],
    ids=["letters", "dict", "nested", "none", "empty", "broken-json", "float"],
)
def test_operator_template_that_renders_to_garbage_fails_naming_it(
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    rendered_from: Any,
    message: str,
) -> None:
    with DAG(
        dag_id="bad_input_template",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        params={"user_ids": rendered_from},
    ) as dag:
        operator = GongUserOperator(task_id="fetch", user_ids="{{ params.user_ids }}")
    context: Any = {"params": dag.params.dump(), "dag": dag, "task": operator}

    operator.render_template_fields(context)  # Airflow's own Jinja environment of the DAG
    assert isinstance(operator.user_ids, str)
    assert "{{" not in operator.user_ids
    with pytest.raises(ValueError) as caught:
        operator.execute(context)

    assert message in str(caught.value)
    assert _calls(gong_emulator) == 0
