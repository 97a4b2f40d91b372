"""Fixtures of the emulator tests.

The emulator's own pytest plugin (``gong_emulator`` & co) is registered by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import GongEmulator


class EmulatorClient(requests.Session):
    """A requests session that resolves paths like ``/v2/users`` against the emulator's URL."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.trust_env = False  # no proxies from the environment for a loopback server
        self.base = base
        if headers:
            self.headers.update(headers)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def gong(gong_emulator: GongEmulator) -> Iterator[EmulatorClient]:
    """A session with basic auth against ``gong_emulator`` (``gong.get("/v2/users")``)."""
    with EmulatorClient(gong_emulator.url, gong_emulator.auth_headers()) as client:
        yield client


@pytest.fixture
def anon(gong_emulator: GongEmulator) -> Iterator[EmulatorClient]:
    """A session without credentials against ``gong_emulator``."""
    with EmulatorClient(gong_emulator.url) as client:
        yield client
