"""What Airflow learns about this provider at start-up (entry point ``apache_airflow_provider``).

Airflow imports this module at every start, so it imports nothing heavy: no ``airflow``, no ``requests``.
Airflow >= 3.2's React UI learns the ``gong`` connection form only from the dict below.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_gong import __version__

__all__ = ["get_provider_info"]

_INTEGRATION = "Gong"
_MODULE = "airflow_provider_gong"
_GONG_URIS = {
    "schemes": ["gong"],
    "handler": f"{_MODULE}.assets.sanitize_uri",
    "factory": f"{_MODULE}.assets.create_asset",
    "to_openlineage_converter": f"{_MODULE}.assets.convert_asset_to_openlineage",
}


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata: modules, and the ``gong`` connection type with its form fields."""
    return {
        "package-name": "airflow-provider-gong",
        "name": "Gong",
        "description": "`Gong <https://www.gong.io/>`__ revenue intelligence: a hook for Gong's users and "
        "calls APIs, operators for users and for incremental loads of calls and transcripts, and a "
        "rate-limit sensor.\n",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://gong.app.gong.io/settings/api/documentation",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.hooks.gong"]}],
        # The gong:// asset URI scheme (airflow_provider_gong.assets); "dataset-uris" for Airflow 2.11.
        "asset-uris": [dict(_GONG_URIS)],
        "dataset-uris": [dict(_GONG_URIS)],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_MODULE}.operators.users",
                    f"{_MODULE}.operators.calls",
                    f"{_MODULE}.operators.transcripts",
                    f"{_MODULE}.operators.fetch",
                ],
            }
        ],
        "sensors": [{"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.sensors.rate_limit"]}],
        "triggers": [
            {"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.triggers.rate_limit"]}
        ],
        "connection-types": [
            {
                "connection-type": "gong",
                "hook-class-name": "airflow_provider_gong.hooks.gong.GongHook",
                "hook-name": "Gong",
                "ui-field-behaviour": {
                    "hidden-fields": ["port", "schema"],
                    "relabeling": {
                        "host": "Gong API base URL",
                        "login": "Access key",
                        "password": "Access key secret",
                    },
                    "placeholders": {
                        "host": "https://us-12345.api.gong.io",
                        "login": "Access key from Gong > Company settings > API",
                        "password": "Access key secret (leave empty for an OAuth app or token)",
                    },
                },
                "conn-fields": {
                    "client_id": {
                        "label": "OAuth client id",
                        "description": "Client id of a Gong OAuth app. With the client secret and a "
                        "refresh token, the hook refreshes its access tokens itself; use them instead of "
                        "the access key and secret. Leave the host empty to use the company's API base "
                        "URL from Gong's token answer.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "client_secret": {
                        "label": "OAuth client secret",
                        "description": "Client secret of the Gong OAuth app.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "refresh_token": {
                        "label": "OAuth refresh token",
                        "description": "The first refresh token of the app's authorisation. Gong's refresh "
                        "tokens are single-use: the rotated ones are kept in the shared state's Redis "
                        "(encrypted with Airflow's Fernet key), else in an Airflow Variable. Any "
                        "concurrency (two tasks, or a task and its trigger) needs the shared state URL.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "access_token": {
                        "label": "OAuth access token",
                        "description": "Bearer token of a Gong OAuth app with the scope api:users:read. "
                        "Alone, it is used as it is until it expires; with an OAuth app, it is the app's "
                        "current token. Not with the access key and secret.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "token_url": {
                        "label": "OAuth token URL",
                        "description": "Gong's token endpoint, when not "
                        "https://app.gong.io/oauth2/generate-customer-token (https only; http only to "
                        "localhost).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "description": "How long to wait for Gong to connect and for each read. Default 30.",
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries of a call that failed on a connection error, a timeout, "
                        "a 5xx or a 429. Default 5.",
                        "schema": {"type": ["integer", "null"], "minimum": 0},
                    },
                    "calls_per_second": {
                        "label": "Calls per second",
                        "description": "Client-side pace, shared by the threads and hooks of a task "
                        "process, and by every process of the company when the shared state URL is set. "
                        "Gong allows 3 calls per second per company by default; without shared state, "
                        "set a share of it when several Gong tasks run at once. 0 switches pacing off.",
                        "schema": {"type": ["number", "null"], "minimum": 0, "default": 3},
                    },
                    "shared_state_url": {
                        "label": "Shared state URL (Redis)",
                        "description": "redis:// or rediss:// URL of a Redis every worker reaches, e.g. "
                        "rediss://:password@redis.internal:6379/0. With it, every process of the company "
                        "shares one pace (calls_per_second), the daily budget (calls_per_day) and Gong's "
                        "Retry-After. Needs airflow-provider-gong[redis]. A password needs rediss:// "
                        "(TLS) unless Redis is on localhost.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "calls_per_day": {
                        "label": "Calls per day",
                        "description": "The company's daily budget of Gong calls per UTC day, counted "
                        "across every process through the shared state. Default 10000, Gong's default "
                        "quota.",
                        "schema": {"type": ["integer", "null"], "minimum": 1, "default": 10000},
                    },
                },
            }
        ],
    }
