"""What both transports take from the process environment: the trust store (proxies are read by each).

requests reads ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) and httpx reads ``SSL_CERT_FILE`` (or
``SSL_CERT_DIR``); left alone, a bundle set for one would be ignored by the other, and the hook and the
trigger would trust different servers. :func:`trust_store` reads all four, in that order, and both
transports use what it returns. Proxies (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``)
are read by both libraries from the same variables already.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

__all__ = ["TRUST_STORE_VARIABLES", "ssl_context", "trust_store"]

#: The variables that name a CA bundle (a file) or a directory of certificates, first set wins.
TRUST_STORE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def trust_store(environ: Mapping[str, str] | None = None) -> str | None:
    """
    The CA bundle file or certificate directory the environment names, or ``None`` (the default store).

    :param environ: The environment (default: ``os.environ``).
    """
    env = os.environ if environ is None else environ
    for name in TRUST_STORE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


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
