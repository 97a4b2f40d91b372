"""The ``gong`` asset URI scheme: one asset per Gong tenant and resource, named by its API path.

``gong://<tenant host>/<API path without /v2>``, e.g. ``gong://us-12345.api.gong.io/calls`` (``GET
/v2/calls``), ``gong://us-12345.api.gong.io/calls/extensive`` (detailed calls) or
``gong://us-12345.api.gong.io/calls/transcript``. Path parameters (``/v2/users/{id}``) are left out: the
asset is the resource, not one record. A URI never carries credentials: :func:`sanitize_uri`, the handler
Airflow calls for every ``gong://`` URI (provider info ``asset-uris``, ``dataset-uris`` on Airflow 2.11),
drops any user info, query and fragment.

Also the URI of an ``output_path`` (:func:`storage_uri`): the object store's own URI without the
connection id that :class:`~airflow.sdk.ObjectStoragePath` may keep in it.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from urllib.parse import SplitResult

    from airflow_provider_gong.version_compat import Asset, ObjectStoragePath

__all__ = [
    "GONG_SCHEME",
    "convert_asset_to_openlineage",
    "create_asset",
    "gong_uri",
    "resource_path",
    "sanitize_uri",
    "storage_uri",
]

#: The scheme of Gong's assets.
GONG_SCHEME = "gong"

#: The API version prefix of Gong's paths, left out of the asset's name.
_VERSION_PREFIX = "v2"


def resource_path(api_path: str) -> str:
    """
    The resource an API path names: without the version and path parameters (``/v2/users/{id}`` ->
    ``users``, ``/v2/calls/transcript`` -> ``calls/transcript``).

    :param api_path: The endpoint's path, as in :mod:`airflow_provider_gong.endpoints`.
    """
    parts = [part for part in api_path.strip("/").split("/") if part and not part.startswith("{")]
    if parts and parts[0] == _VERSION_PREFIX:
        parts = parts[1:]
    if not parts:
        raise ValueError(f"Gong API path {api_path!r} names no resource")
    return "/".join(parts)


def gong_uri(base_url: str, api_path: str) -> str:
    """
    The asset URI of a resource of one tenant: ``gong://<host[:port]>/<resource>``.

    :param base_url: The hook's base URL (``https://us-12345.api.gong.io``, ``http://127.0.0.1:PORT``).
    :param api_path: The endpoint's path (``/v2/calls``).
    """
    parts = urllib.parse.urlsplit(base_url if "://" in base_url else f"https://{base_url}")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("a Gong asset needs the tenant's host; the base URL has none")
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{GONG_SCHEME}://{netloc}/{resource_path(api_path)}"


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """
    Airflow's handler of ``gong://`` URIs (``asset-uris``): the tenant host and the resource path only.

    User info (credentials) is dropped, as are the query and the fragment; the host is lower-cased and a
    leading ``/v2`` removed from the path.

    :param uri: The URI, split (Airflow already dropped a password and normalised the scheme).
    :raises ValueError: without a host or a resource path.
    """
    host = uri.netloc.rpartition("@")[2].lower()
    if not host:
        raise ValueError(
            "URI format gong:// must name the tenant's host, e.g. gong://us-12345.api.gong.io/calls"
        )
    path = uri.path.strip("/")
    if not path or path == _VERSION_PREFIX:
        raise ValueError(
            "URI format gong:// must name a resource path, e.g. gong://us-12345.api.gong.io/calls"
        )
    return uri._replace(netloc=host, path="/" + resource_path(path), query="", fragment="")


def create_asset(*, host: str, path: str, extra: dict[str, Any] | None = None) -> Asset:
    """
    The asset of a Gong resource (Airflow's asset factory for the scheme).

    :param host: The tenant's host, or its base URL.
    :param path: The API path or the resource (``/v2/calls``, ``calls``).
    :param extra: The asset's extra.
    """
    from airflow_provider_gong.version_compat import Asset  # noqa: PLC0415

    return Asset(uri=gong_uri(host, path), extra=extra or {})


def convert_asset_to_openlineage(asset: Any, lineage_context: Any) -> Any:
    """
    The OpenLineage dataset of a ``gong://`` asset: namespace ``gong://<host>``, name the resource path.

    :param asset: The asset (``asset.uri`` is used).
    :param lineage_context: The hook or task that reported it (unused).
    """
    from openlineage.client.event_v2 import Dataset  # noqa: PLC0415

    parsed = urllib.parse.urlsplit(asset.uri)
    return Dataset(namespace=f"{GONG_SCHEME}://{parsed.netloc}", name=parsed.path.lstrip("/"))


def storage_uri(path: ObjectStoragePath | str) -> str:
    """
    The URI of an ``output_path``: ``s3://bucket/gong/calls``, ``file:///data/gong/calls``; never the
    connection id an :class:`~airflow.sdk.ObjectStoragePath` keeps as user info.

    :param path: The checked output path.
    """
    protocol = getattr(path, "protocol", None)
    if protocol is not None:
        if isinstance(protocol, (tuple, list)):
            protocol = protocol[0] if protocol else ""
        inner = str(getattr(path, "path", "")).rstrip("/")
        if protocol in ("", "file", "local"):
            return f"file://{inner if inner.startswith('/') else '/' + inner}"
        return f"{protocol}://{inner.lstrip('/')}"
    parts = urllib.parse.urlsplit(str(path))
    if not parts.scheme:
        return f"file://{parts.path.rstrip('/')}"
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
