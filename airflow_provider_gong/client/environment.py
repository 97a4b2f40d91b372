"""What both transports take from the process environment: the trust store and the proxy.

requests reads ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) and httpx reads ``SSL_CERT_FILE`` (or
``SSL_CERT_DIR``); left alone, a bundle set for one would be ignored by the other, and the hook and the
trigger would trust different servers. :func:`trust_store` reads all four, in that order, and both
transports use what it returns. Both libraries read the proxy variables (``HTTPS_PROXY``, ``HTTP_PROXY``,
``ALL_PROXY``, ``NO_PROXY``) but match ``NO_PROXY`` differently (CIDR ranges, ``.domain`` and
``host:port`` entries): :func:`proxy_for` decides by requests' rules, and the async transport is given
its decision instead of reading the variables itself.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

import requests.utils

from airflow_provider_gong.exceptions import GongConfigError

__all__ = ["TRUST_STORE_VARIABLES", "proxy_for", "ssl_context", "trust_store"]

#: The variables that name a CA bundle (a file) or a directory of certificates, first set wins.
TRUST_STORE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def trust_store(environ: Mapping[str, str] | None = None) -> str | None:
    """
    The CA bundle file or certificate directory the environment names, or ``None`` (the default store).

    :param environ: The environment (default: ``os.environ``).
    :raises GongConfigError: when the first variable set names no file or directory (requests and
        httpx would each fail their own way, inside the first call).
    """
    env = os.environ if environ is None else environ
    for name in TRUST_STORE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            if not os.path.exists(value):
                raise GongConfigError(
                    f"the environment variable {name} names the CA bundle {value!r}, which does not exist; "
                    "fix the path or unset the variable"
                )
            return value
    return None


def proxy_for(url: str) -> str | None:
    """
    The proxy the environment gives for ``url`` (``None``: connect directly), by requests' rules.

    :param url: The URL to reach (the company's base URL).
    """
    proxies = requests.utils.get_environ_proxies(url)
    return requests.utils.select_proxy(url, proxies) if proxies else None


def ssl_context(store: str | None) -> ssl.SSLContext | None:
    """
    An SSL context that trusts ``store`` (a file or a directory), for httpx; ``None`` for the default.

    :param store: What :func:`trust_store` returned.
    """
    if store is None:
        return None
    if os.path.isdir(store):
        return ssl.create_default_context(capath=store)
    return ssl.create_default_context(cafile=store)
