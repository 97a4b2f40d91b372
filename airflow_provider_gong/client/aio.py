"""The async transport: one ``httpx.AsyncClient``, each attempt bounded as a whole by a deadline.

It behaves as the sync transport does (:mod:`.sync`): the same headers, trust store, proxies from the
environment, timeouts and refused redirects, and its answers and failures are read by the same
:func:`~airflow_provider_gong.client.decode.decode_answer` and
:func:`~airflow_provider_gong.client.decode.transport_error`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from airflow_provider_gong.client.decode import DEADLINE_SLACK, transport_error
from airflow_provider_gong.client.environment import proxy_for, ssl_context, trust_store
from airflow_provider_gong.client.settings import USER_AGENT, GongSettings
from airflow_provider_gong.client.sync import Answer

__all__ = ["AsyncTransport"]


class AsyncTransport:
    """
    Send requests to one Gong company with ``httpx``, from one event loop.

    The client is built on the first request and reused until :meth:`aclose`.

    :param settings: The resolved connection.
    """

    def __init__(self, settings: GongSettings) -> None:
        self._settings = settings
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            settings = self._settings
            context = ssl_context(trust_store())
            headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
            if settings.authorization:
                headers["Authorization"] = settings.authorization
            self._client = httpx.AsyncClient(
                headers=headers,
                timeout=settings.timeout,
                follow_redirects=False,
                verify=True if context is None else context,
                # The proxy as the sync transport picks it (requests' NO_PROXY rules), not httpx's own.
                proxy=proxy_for(settings.base_url),
                trust_env=False,
            )
        return self._client

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        access_token: str | None = None,
    ) -> Answer:
        """
        Send one request and read its whole answer, or raise the typed transport error.

        httpx's timeout, like requests', bounds each read: a trickled answer is cut by the deadline.

        :param method: HTTP method.
        :param path: Path below the base URL.
        :param params: Query parameters.
        :param json: JSON body.
        :param access_token: An OAuth app's current token, sent as ``Bearer``.
        :raises GongConnectionError: (or :class:`GongTimeoutError`) when no complete answer came.
        """
        settings = self._settings
        url = settings.base_url + path
        try:
            response = await asyncio.wait_for(
                self._http().request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    json=json,
                    headers=None if access_token is None else {"Authorization": f"Bearer {access_token}"},
                ),
                settings.timeout + DEADLINE_SLACK,
            )
        except Exception as err:
            typed = transport_error(err, method, path, settings.base_url, settings.timeout)
            if typed is None:
                raise
            raise typed from err
        return Answer(response.status_code, response.headers, response.content, url)

    async def aclose(self) -> None:
        """Close the client and its pooled connections."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
