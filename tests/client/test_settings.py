"""Base URLs as a connection's host and port give them (client settings, no hook involved)."""

from __future__ import annotations

import pytest

from airflow_provider_gong.client.settings import DEFAULT_BASE_URL, normalize_base_url
from airflow_provider_gong.exceptions import GongConfigError


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("us-1.api.gong.io", None, "https://us-1.api.gong.io"),
        ("  US-1.api.gong.io  ", None, "https://us-1.api.gong.io"),
        ("https://us-1.api.gong.io/", None, "https://us-1.api.gong.io"),
        ("https://us-1.api.gong.io/v2", None, "https://us-1.api.gong.io"),
        ("https://us-1.api.gong.io/v2/", None, "https://us-1.api.gong.io"),
        ("HTTPS://us-1.api.gong.io", None, "https://us-1.api.gong.io"),
        ("", None, DEFAULT_BASE_URL),
        (None, None, DEFAULT_BASE_URL),
        ("   ", None, DEFAULT_BASE_URL),
        ("us-1.api.gong.io", 8443, "https://us-1.api.gong.io:8443"),
        ("https://us-1.api.gong.io:9443", 8443, "https://us-1.api.gong.io:9443"),
        ("http://127.0.0.1", 5000, "http://127.0.0.1:5000"),
        ("http://127.1.2.3:7000/", None, "http://127.1.2.3:7000"),
        ("http://localhost:7000/v2", None, "http://localhost:7000"),
        ("http://[::1]:8080/v2/", None, "http://[::1]:8080"),
    ],
)
def test_normalize_base_url(host: str | None, port: int | None, expected: str) -> None:
    assert normalize_base_url(host, port) == expected


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("ftp://us-1.api.gong.io", "ftp://"),
        ("http://us-1.api.gong.io", "plain http to us-1.api.gong.io"),
        ("http://10.0.0.1", "plain http to 10.0.0.1"),
        ("http://localhost.evil.example", "plain http"),
        ("http://127.0.0.1.nip.io", "plain http"),
        ("https://user:pw@us-1.api.gong.io", "no credentials"),
        ("https://us-1.api.gong.io/?x=1", "no credentials, query"),
        ("https://us-1.api.gong.io:99999", "not a valid URL"),
    ],
)
def test_normalize_base_url_refuses(host: str, words: str) -> None:
    with pytest.raises(GongConfigError, match=words) as info:
        normalize_base_url(host, conn_id="my_gong")

    assert "'my_gong'" in str(info.value)
