"""The gong:// asset URI scheme: built from a hook's base URL, sanitised as Airflow does, no credentials."""

from __future__ import annotations

import urllib.parse

import pytest

from airflow_provider_gong.assets import (
    convert_asset_to_openlineage,
    create_asset,
    gong_uri,
    resource_path,
    sanitize_uri,
    storage_uri,
)
from airflow_provider_gong.version_compat import Asset, ObjectStoragePath


@pytest.mark.parametrize(
    ("base_url", "path", "uri"),
    [
        ("https://us-12345.api.gong.io", "/v2/calls", "gong://us-12345.api.gong.io/calls"),
        (
            "https://US-12345.api.gong.io/",
            "/v2/calls/transcript",
            "gong://us-12345.api.gong.io/calls/transcript",
        ),
        ("https://api.gong.io", "/v2/calls/extensive", "gong://api.gong.io/calls/extensive"),
        ("http://127.0.0.1:8123", "/v2/users", "gong://127.0.0.1:8123/users"),
        ("https://us-1.api.gong.io", "/v2/users/{id}", "gong://us-1.api.gong.io/users"),
        (
            "https://us-1.api.gong.io",
            "/v2/users/{id}/settings-history",
            "gong://us-1.api.gong.io/users/settings-history",
        ),
        ("https://key:secret@us-1.api.gong.io", "/v2/calls", "gong://us-1.api.gong.io/calls"),
    ],
)
def test_uri_is_tenant_host_and_api_path_without_v2(base_url: str, path: str, uri: str) -> None:
    assert gong_uri(base_url, path) == uri


def test_a_path_naming_no_resource_is_refused() -> None:
    with pytest.raises(ValueError, match="names no resource"):
        resource_path("/v2/")


@pytest.mark.parametrize(
    ("uri", "sanitised"),
    [
        ("gong://us-1.api.gong.io/calls", "gong://us-1.api.gong.io/calls"),
        ("gong://key:secret@US-1.api.gong.io/v2/calls?token=x#frag", "gong://us-1.api.gong.io/calls"),
        ("gong://key@us-1.api.gong.io/calls/transcript/", "gong://us-1.api.gong.io/calls/transcript"),
    ],
)
def test_the_sanitiser_keeps_host_and_resource_only(uri: str, sanitised: str) -> None:
    assert urllib.parse.urlunsplit(sanitize_uri(urllib.parse.urlsplit(uri))) == sanitised


@pytest.mark.parametrize(
    ("uri", "message"), [("gong:///calls", "must name the tenant's host"), ("gong://h/v2", "resource path")]
)
def test_the_sanitiser_refuses_uris_without_host_or_resource(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sanitize_uri(urllib.parse.urlsplit(uri))


def test_airflow_sanitises_gong_assets_through_the_provider() -> None:
    # The provider is installed: Airflow's ProvidersManager finds the handler in asset-uris / dataset-uris.
    with pytest.warns(UserWarning, match="password"):
        asset = Asset(uri="gong://key:secret@us-1.api.gong.io/v2/calls")
    assert asset.uri == "gong://us-1.api.gong.io/calls"
    assert "secret" not in asset.uri and "key" not in asset.uri


def test_factory_and_openlineage_converter() -> None:
    pytest.importorskip("openlineage.client", reason="needs airflow-provider-gong[openlineage]")
    asset = create_asset(host="https://us-1.api.gong.io", path="/v2/calls", extra={"a": 1})
    assert asset.uri == "gong://us-1.api.gong.io/calls"
    dataset = convert_asset_to_openlineage(asset, None)
    assert (dataset.namespace, dataset.name) == ("gong://us-1.api.gong.io", "calls")


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("file:///data/gong/calls", "file:///data/gong/calls"),
        ("/data/gong/calls/", "file:///data/gong/calls"),
        ("s3://bucket/gong/calls", "s3://bucket/gong/calls"),
        ("s3://aws_conn@bucket/gong/calls", "s3://bucket/gong/calls"),
    ],
)
def test_storage_uri_never_keeps_the_connection_id(path: str, uri: str) -> None:
    assert storage_uri(path) == uri


def test_storage_uri_of_an_object_storage_path() -> None:
    assert storage_uri(ObjectStoragePath("file:///data/gong/calls")) == "file:///data/gong/calls"
