"""The synthetic calls: the catalog's determinism and cost, the calls settings, and the CLI's calls flags."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from airflow_provider_gong.testing import CallCatalog, ConfigError, EmulatorConfig, UserDirectory
from airflow_provider_gong.testing.__main__ import _config, build_parser, main
from airflow_provider_gong.testing.calls import CONTENT_FIELDS, ContentSelector
from airflow_provider_gong.testing.config import DEFAULT_SCOPES
from airflow_provider_gong.testing.launch import EmulatorProcess
from airflow_provider_gong.testing.routes import MEDIA_URL_FLAG, TABLE, FlagScope
from airflow_provider_gong.testing.users import parse_gong_time

NOVEMBER = (parse_gong_time("2026-11-01T00:00:00Z"), parse_gong_time("2026-12-01T00:00:00Z"))
SETTLED = parse_gong_time("2026-12-10T00:00:00Z")


def catalog(count: int = 300, seed: int = 0, users: int = 250, **options: Any) -> CallCatalog:
    return CallCatalog(count, seed, UserDirectory(users, seed), *NOVEMBER, **options)


def test_same_inputs_same_calls() -> None:
    one, two = catalog(seed=3), catalog(seed=3)
    selector = ContentSelector(
        context="Extended", parties=True, content=frozenset(CONTENT_FIELDS), media=True
    )
    assert one.ids == two.ids
    for index in range(0, 300, 17):
        assert one.basic(index) == two.basic(index)
        assert one.extensive(index, selector, SETTLED) == two.extensive(index, selector, SETTLED)
        assert one.transcript(index) == two.transcript(index)
        assert one.truth(index) == two.truth(index)
    assert set(catalog(seed=4).ids).isdisjoint(one.ids)
    assert one.key == two.key != catalog(seed=3, late_share=0.2).key


def test_ids_lookup_and_hosts() -> None:
    calls = catalog()
    directory = UserDirectory(250, 0)
    hosts = set(directory.ids) - directory.avatar_ids
    for index, call_id in enumerate(calls.ids):
        assert calls.index_of(call_id) == index
        assert calls.call_id(index) == call_id
        assert calls.primary_user_id(index) in hosts
    assert calls.index_of("1") is None
    assert calls.index_of("0" + calls.ids[0]) is None
    assert calls.index_of("¹²") is None
    assert calls.index_of(str(2**70)) is None


def test_select_filters_and_clock() -> None:
    calls = catalog()
    everything = calls.select(SETTLED)
    assert list(everything) == list(range(300))
    middle = calls.started_epoch(150)
    assert calls.select(SETTLED, started_from=middle)[0] <= 150
    assert 150 not in calls.select(SETTLED, started_to=middle)
    hidden = calls.visible_at(150) - 1
    assert 150 not in calls.select(hidden) and 150 in calls.select(calls.visible_at(150))
    assert not calls.is_visible(150, hidden)
    late = calls.transcript_at(150)
    assert 150 not in calls.select(late - 1, transcript=True) and 150 in calls.select(late, transcript=True)
    assert calls.select(SETTLED, workspace_id="42") == []
    assert calls.select(NOVEMBER[0]) == []


def test_no_users_no_calls() -> None:
    assert len(catalog(users=0)) == 0
    assert catalog(users=0).select(SETTLED) == []


@pytest.mark.parametrize(
    "options",
    [
        {"count": -1},
        {"late_share": 2.0},
        {"processing_delay": 10.0, "late_delay": 5.0},
    ],
)
def test_catalog_rejects_bad_inputs(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r".+"):
        catalog(**options)
    with pytest.raises(ValueError, match="before"):
        CallCatalog(1, 0, UserDirectory(2), NOVEMBER[1], NOVEMBER[0])


def test_hundred_thousand_calls_build_quickly() -> None:
    directory = UserDirectory(250, 5)
    started = time.perf_counter()
    calls = CallCatalog(100_000, 5, directory, *NOVEMBER)
    page = [calls.basic_json(index) for index in calls.select(SETTLED)[50_000:50_100]]
    found = calls.select(SETTLED, call_ids=calls.ids[-1000:])
    elapsed = time.perf_counter() - started
    assert len(page) == 100 and len(found) == 1000
    assert len(set(calls.ids)) == 100_000
    assert elapsed < 10, elapsed


# -- settings ------------------------------------------------------------------------------------------------


def test_calls_settings_defaults() -> None:
    config = EmulatorConfig()
    assert (config.calls, config.calls_from, config.calls_to, config.clock) == (
        300,
        "2026-11-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
        None,
    )
    assert (config.processing_delay, config.late_share, config.late_delay) == (3600.0, 0.15, 259_200.0)
    assert config.max_call_ids == 1000
    # Every scope a route of the emulator needs, the users and calls ones first (as 0.1 listed them).
    assert config.scopes == list(DEFAULT_SCOPES)
    assert config.scopes[:5] == [
        "api:users:read",
        "api:calls:read:basic",
        "api:calls:read:extensive",
        "api:calls:read:transcript",
        "api:calls:read:media-url",
    ]
    assert set(config.scopes) == {scope for route in TABLE for scope in route.scopes} | {
        "api:calls:read:media-url"
    }
    assert len(set(config.scopes)) == len(config.scopes)
    assert config.calls_window() == NOVEMBER
    assert abs(config.now() - time.time()) < 5
    assert EmulatorConfig(clock="2026-12-10T01:00:00+01:00").now() == SETTLED


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"calls": -1}, "calls"),
        ({"max_call_ids": 0}, "max_call_ids"),
        ({"calls_from": "2026-11-01"}, "calls_from"),
        ({"calls_to": "2026-10-01T00:00:00Z"}, "before"),
        ({"clock": "now"}, "clock"),
        ({"clock": 5}, "clock"),
        ({"late_share": -0.1}, "late_share"),
        ({"late_delay": 10.0}, "late_delay"),
        ({"processing_delay": float("nan")}, "processing_delay"),
    ],
)
def test_calls_settings_are_validated(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        EmulatorConfig().updated(changes)


def test_flag_scope_reads_nested_booleans() -> None:
    assert MEDIA_URL_FLAG.wanted({"contentSelector": {"exposedFields": {"media": True}}})
    for payload in (
        None,
        [],
        {"contentSelector": None},
        {"contentSelector": {"exposedFields": {"media": 1}}},
    ):
        assert not MEDIA_URL_FLAG.wanted(payload)
    assert FlagScope(("a",), "s").wanted({"a": True})


# -- CLI -----------------------------------------------------------------------------------------------------


def test_cli_calls_flags_map_to_config() -> None:
    args = build_parser().parse_args(
        [
            "--calls", "40", "--calls-from", "2026-10-01T00:00:00Z",
            "--calls-to", "2026-10-08T00:00:00-07:00", "--clock", "2026-10-09T00:00:00Z",
            "--processing-delay", "60", "--late-share", "0.5", "--late-delay", "600",
        ]
    )  # fmt: skip
    config = _config(args)
    assert (config.calls, config.calls_from, config.calls_to) == (
        40,
        "2026-10-01T00:00:00Z",
        "2026-10-08T00:00:00-07:00",
    )
    assert (config.clock, config.processing_delay, config.late_share, config.late_delay) == (
        "2026-10-09T00:00:00Z",
        60.0,
        0.5,
        600.0,
    )
    defaults = _config(build_parser().parse_args([]))
    assert defaults == EmulatorConfig()
    assert "calls" in build_parser().description


@pytest.mark.parametrize(
    "argv",
    [
        ["--clock", "tomorrow"],
        ["--calls", "-1"],
        ["--calls-from", "2027-01-01T00:00:00Z"],
        ["--late-share", "2"],
    ],
)
def test_cli_rejects_bad_calls_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_serves_calls_at_its_clock() -> None:
    args = ["--calls", "40", "--clock", "2026-12-10T00:00:00Z", "--rate-per-second", "none", "--seed", "2"]
    with EmulatorProcess.start(args) as process:
        truth = process.control("GET", "/_emulator/calls")
        assert len(truth["calls"]) == 40
        assert truth["clock"] == "2026-12-09T16:00:00-08:00"
        assert truth["calls"] == [catalog(40, seed=2).truth(index) for index in range(40)]
        query = "fromDateTime=2026-11-01T00:00:00Z&toDateTime=2026-12-01T00:00:00Z"
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            f"{process.url}/v2/calls?{query}", headers={"Authorization": "Bearer emulator-oauth-token"}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            body = json.loads(response.read())
        assert body["records"]["totalRecords"] == 40
        assert [call["id"] for call in body["calls"]] == [call["id"] for call in truth["calls"]]
        assert process.configure(clock="2026-11-01T00:00:00Z")["clock"] == "2026-11-01T00:00:00Z"
        assert process.control("GET", "/_emulator/calls")["clock"] == "2026-10-31T16:00:00-08:00"
