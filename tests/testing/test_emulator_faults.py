"""Injected faults: each knob, the scripted fail_next queue, reproducibility."""

from __future__ import annotations

import json
import socket
import time
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import ConfigError, EmulatorConfig, GongEmulator


def test_drop_is_a_real_connection_error(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.drop = 1.0
    with pytest.raises(requests.ConnectionError) as caught:
        gong.get("/v2/users")
    assert "RemoteDisconnected" in repr(caught.value) or "Connection aborted" in str(caught.value)
    stats = gong_emulator.stats()
    assert stats["faults"]["drop"] == 1
    assert stats["by_endpoint"]["GET /v2/users"] == {"dropped": 1}
    gong_emulator.config.drop = 0.0
    assert gong.get("/v2/users").status_code == 200


def test_drop_sends_no_byte_at_all(gong_emulator: GongEmulator) -> None:
    gong_emulator.fail_next({"fault": "drop"})
    with socket.create_connection(("127.0.0.1", gong_emulator.port), timeout=5) as sock:
        sock.sendall(b"GET /v2/users HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass
    assert received == b""


def test_truncate_is_invalid_json_in_valid_http(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.truncate = 1.0
    response = gong.get("/v2/users")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.content.startswith(b'{"requestId":')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert gong_emulator.stats()["faults"]["truncate"] == 1


def test_bad_shape(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.bad_shape = 1.0
    response = gong.get("/v2/users")
    assert response.status_code == 200
    assert response.json() == {"unexpected": True}


def test_fail_5xx_mix(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.fail_5xx = 1.0
    seen: dict[tuple[int, str], bytes] = {}
    for _ in range(60):
        response = gong.get("/v2/users")
        kind = response.headers["Content-Type"].split(";")[0]
        seen[(response.status_code, kind)] = response.content
    assert set(seen) == {
        (500, "application/json"),
        (502, "text/html"),
        (503, "application/json"),
        (503, "text/plain"),
    }
    error = json.loads(seen[(500, "application/json")])
    assert set(error) == {"requestId", "errors"}
    assert b"502 Bad Gateway" in seen[(502, "text/html")]
    assert gong_emulator.stats()["faults"]["fail_5xx"] == 60


def test_fail_429_half_with_retry_after(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.fail_429 = 1.0
    responses = [gong.get("/v2/users") for _ in range(40)]
    assert {response.status_code for response in responses} == {429}
    with_header = [response for response in responses if "Retry-After" in response.headers]
    assert 8 <= len(with_header) <= 32
    assert {response.headers["Retry-After"] for response in with_header} == {"1"}
    assert all(set(response.json()) == {"requestId", "errors"} for response in responses)
    gong_emulator.config.fail_429_retry_after_share = 0.0
    assert "Retry-After" not in gong.get("/v2/users").headers


@pytest.mark.parametrize("value", ["7", "-3", "soon", "86400", "1.5"])
def test_forced_retry_after_values(gong: Any, gong_emulator: GongEmulator, value: str) -> None:
    gong_emulator.configure(fail_429=1.0, fail_429_retry_after_share=1.0, fault_retry_after=value)
    assert gong.get("/v2/users").headers["Retry-After"] == value


def test_forced_retry_after_http_date(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(fail_429=1.0, fail_429_retry_after_share=1.0, fault_retry_after="http-date+30")
    header = gong.get("/v2/users").headers["Retry-After"]
    assert header.endswith("GMT")
    ahead = parsedate_to_datetime(header).timestamp() - time.time()
    assert 27 <= ahead <= 31


def test_latency_and_slow(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(latency=0.2, latency_jitter=0.1)
    started = time.monotonic()
    assert gong.get("/v2/users").status_code == 200
    assert 0.2 <= time.monotonic() - started < 1.5
    gong_emulator.configure(latency=0.0, latency_jitter=0.0, slow=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert gong.get("/v2/users").status_code == 200
    assert 0.3 <= time.monotonic() - started < 1.5
    assert gong_emulator.stats()["faults"]["slow"] == 1


def test_hang_needs_a_client_timeout(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.hang = 1.0
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        gong.get("/v2/users", timeout=0.3)
    assert time.monotonic() - started < 2
    gong_emulator.config.hang = 0.0
    assert gong.get("/v2/users").status_code == 200
    stats = gong_emulator.stats()
    assert stats["faults"]["hang"] == 1
    assert stats["by_endpoint"]["GET /v2/users"] == {"hung": 1, "200": 1}


def test_stop_is_quick_while_requests_hang() -> None:
    emulator = GongEmulator(EmulatorConfig(hang=1.0, rate_per_second=None)).start()
    session = requests.Session()
    session.headers.update(emulator.auth_headers())

    def call() -> BaseException | None:
        try:
            session.get(f"{emulator.url}/v2/users", timeout=30)
        except requests.RequestException as exc:
            return exc
        return None

    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(call)
        deadline = time.monotonic() + 5
        while emulator.stats()["faults"]["hang"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 2
        assert isinstance(future.result(timeout=5), requests.ConnectionError)


def test_fail_next_script(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.fail_next(
        {"status": 429, "retry_after": "2"},
        {"status": 500},
        {"fault": "pass"},
        {"status": 429},
        {"status": 200, "body": {"odd": 1}},
        {"status": 503, "body": "down for maintenance", "headers": {"X-Test": "yes"}},
        {"fault": "drop"},
        {"fault": "bad_shape"},
        {"fault": "429"},
        {"fault": "429", "retry_after": None},
        {"fault": "429", "retry_after": 5},
    )
    first = gong.get("/v2/users")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert first.json()["errors"] == ["API request limit exceeded"]
    second = gong.get("/v2/users")
    assert second.status_code == 500
    assert set(second.json()) == {"requestId", "errors"}
    assert gong.get("/v2/users").status_code == 200
    fourth = gong.get("/v2/users")
    assert fourth.status_code == 429
    assert "Retry-After" not in fourth.headers
    assert gong.get("/v2/users").json() == {"odd": 1}
    sixth = gong.get("/v2/users")
    assert (sixth.status_code, sixth.text, sixth.headers["X-Test"]) == (503, "down for maintenance", "yes")
    with pytest.raises(requests.ConnectionError):
        gong.get("/v2/users")
    assert gong.get("/v2/users").json() == {"unexpected": True}
    assert gong.get("/v2/users").headers["Retry-After"] == "1"
    assert "Retry-After" not in gong.get("/v2/users").headers
    assert gong.get("/v2/users").headers["Retry-After"] == "5"
    assert gong.get("/v2/users").status_code == 200
    stats = gong_emulator.stats()
    assert stats["faults"]["scripted"] == 11
    assert stats["faults"]["fail_429"] == 3
    assert stats["faults"]["drop"] == 1
    assert stats["fail_next_pending"] == 0
    assert stats["by_endpoint"]["GET /v2/users"] == {"429": 5, "500": 1, "200": 4, "503": 1, "dropped": 1}


def test_fail_next_over_http(gong: Any, gong_emulator: GongEmulator) -> None:
    patch = {"fail_next": [{"status": 502, "body": "<html>bad gateway</html>", "content_type": "text/html"}]}
    assert gong.patch("/_emulator/config", json=patch).status_code == 200
    response = gong.get("/v2/users")
    assert (response.status_code, response.headers["Content-Type"]) == (502, "text/html")


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"status": 42},
        {"fault": "explode"},
        {"status": 500, "fault": "drop"},
        {"status": 500, "colour": 1},
    ],
)
def test_bad_scripted_answers_are_refused(
    gong: Any, gong_emulator: GongEmulator, answer: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError):
        gong_emulator.fail_next(answer)
    assert gong.patch("/_emulator/config", json={"fail_next": [answer]}).status_code == 400


@pytest.mark.gong_emulator(rate_per_second=1)
def test_injected_faults_do_not_consume_quota(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.fail_next({"status": 500}, {"status": 429}, {"fault": "bad_shape"})
    assert [gong.get("/v2/users").status_code for _ in range(3)] == [500, 429, 200]
    assert gong.get("/v2/users").json()["records"]["totalRecords"] > 0
    assert gong.get("/v2/users").status_code == 429


def test_random_faults_are_reproducible(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(fail_5xx=0.3, fail_429=0.2, bad_shape=0.1)

    def run() -> list[int]:
        return [gong.get("/v2/users").status_code for _ in range(30)]

    first = run()
    assert len(set(first)) > 2
    gong_emulator.reset()
    assert run() == first
    gong_emulator.configure(fault_seed=99)
    gong_emulator.reset()
    assert run() != first


def test_faults_spare_the_control_endpoints(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(drop=0.5, fail_5xx=0.5)
    for _ in range(10):
        assert gong.get("/_emulator/stats").status_code == 200
    assert gong_emulator.stats()["gong_calls"] == 0
