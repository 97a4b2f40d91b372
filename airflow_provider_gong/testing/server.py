"""Run the emulator: uvicorn in a background thread, on a loopback port, optionally over TLS."""

from __future__ import annotations

import asyncio
import base64
import importlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote, urlencode

from airflow_provider_gong.testing.app import EmulatorApp
from airflow_provider_gong.testing.config import TOKEN_PATH, EmulatorConfig
from airflow_provider_gong.testing.extra import require
from airflow_provider_gong.testing.state import EmulatorState, EmulatorStats
from airflow_provider_gong.testing.users import UserDirectory

__all__ = ["GongEmulator", "is_loopback_host"]

AuthKind = Literal["basic", "bearer"]


def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names the loopback interface (``localhost``, ``127.0.0.0/8``, ``::1``).

    :param host: Host name or IP address.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _protocol_class(state: EmulatorState) -> type[asyncio.Protocol]:
    """Subclass uvicorn's HTTP protocol to count TCP connections and allow dropping them."""
    try:
        module = importlib.import_module("uvicorn.protocols.http.httptools_impl")
        base: Any = module.HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is optional in uvicorn
        module = importlib.import_module("uvicorn.protocols.http.h11_impl")
        base = module.H11Protocol

    class EmulatorProtocol(base):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            state.connection_made(self.client, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            state.connection_lost(self.client)
            super().connection_lost(exc)

    return EmulatorProtocol


def _server_class() -> Any:
    """Build the server class (uvicorn is imported only when an emulator starts)."""
    import uvicorn  # noqa: PLC0415 - lazy: importing this package must stay cheap

    class EmulatorServer(uvicorn.Server):
        """uvicorn's server, which also wakes hung and delayed requests when it shuts down."""

        def __init__(self, config: uvicorn.Config, state: EmulatorState) -> None:
            super().__init__(config)
            self.emulator_state = state

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            self.emulator_state.stopping = asyncio.Event()
            await super().startup(sockets=sockets)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            if self.emulator_state.stopping is not None:
                self.emulator_state.stopping.set()
            await super().shutdown(sockets=sockets)

    return EmulatorServer


class GongEmulator:
    """A Gong users API on a local port, for tests, demos and benchmarks.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with GongEmulator(EmulatorConfig(users=250, rate_per_second=None)) as gong:
            requests.get(f"{gong.url}/v2/users", headers=gong.auth_headers())

    :param config: Settings (default: :class:`EmulatorConfig` defaults, including Gong's rate limits).
    :param host: Interface to listen on; only loopback unless ``allow_remote``.
    :param port: TCP port; ``0`` picks a free one.
    :param ssl_certfile: PEM certificate (chain) to serve HTTPS.
    :param ssl_keyfile: PEM private key of ``ssl_certfile`` (if not inside it).
    :param allow_remote: Allow listening on a non-loopback interface.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        allow_remote: bool = False,
    ) -> None:
        if not allow_remote and not is_loopback_host(host):
            raise ValueError(f"refusing to listen on non-loopback host {host!r} (pass allow_remote=True)")
        if ssl_keyfile and not ssl_certfile:
            raise ValueError("ssl_keyfile needs ssl_certfile")
        self.host = host
        self._requested_port = port
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.state = EmulatorState(config if config is not None else EmulatorConfig())
        self.app = EmulatorApp(self.state)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> GongEmulator:
        """Start serving in a background thread; return once the port accepts connections.

        :param timeout: Seconds to wait for the server to come up.
        :return: The emulator itself.
        """
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        require("uvicorn", "the Gong emulator")
        import uvicorn  # noqa: PLC0415 - lazy: importing this package must stay cheap

        sock = self._bind()
        self._port = sock.getsockname()[1]
        uv_config = uvicorn.Config(
            self.app,
            http=_protocol_class(self.state),
            ws="none",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
            timeout_graceful_shutdown=3,
            timeout_keep_alive=30,
        )
        server = _server_class()(uv_config, self.state)
        self._server = server
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"gong-emulator-{self._port}", daemon=True
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                self._thread = None
                sock.close()
                raise RuntimeError("the Gong emulator failed to start (see the log)")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the Gong emulator did not start in time")
            time.sleep(0.005)
        return self

    def _bind(self) -> socket.socket:
        infos = socket.getaddrinfo(self.host, self._requested_port, type=socket.SOCK_STREAM)
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: hung and delayed requests are dropped, then the thread ends.

        :param timeout: Seconds to wait for the server thread.
        """
        thread, server = self._thread, self._server
        if thread is None or server is None:
            return
        server.should_exit = True
        thread.join(timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> GongEmulator:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server thread is up."""
        return self._thread is not None and self._thread.is_alive()

    # -- addresses -----------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator has not been started")
        return self._port

    @property
    def scheme(self) -> str:
        """``https`` when serving TLS, else ``http``."""
        return "https" if self.ssl_certfile else "http"

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - only naming the wildcard, not binding it
            host = "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    # -- settings, data and counters -----------------------------------------------------------------------

    @property
    def config(self) -> EmulatorConfig:
        """The live settings; change fields at any time (takes effect on the next request)."""
        return self.state.config

    @config.setter
    def config(self, value: EmulatorConfig) -> None:
        self.state.config = value

    def configure(self, **changes: Any) -> EmulatorConfig:
        """Validate and apply several settings at once, like ``PATCH /_emulator/config``.

        :param changes: Field names of :class:`EmulatorConfig` and their new values.
        :return: The live settings.
        """
        updated = self.state.config.updated(changes)
        live = self.state.config
        for name in changes:
            setattr(live, name, getattr(updated, name))
        return live

    def fail_next(self, *answers: Mapping[str, Any]) -> None:
        """Queue scripted answers for the next Gong calls (see ``EmulatorConfig.fail_next``).

        :param answers: e.g. ``{"status": 429, "retry_after": "2"}``, ``{"fault": "drop"}``.
        """
        self.state.queue_answers(answers)

    def stats(self) -> EmulatorStats:
        """Return a snapshot of the counters (same as ``GET /_emulator/stats``)."""
        return self.state.stats()

    def reset(self, *, restore_config: bool = False) -> None:
        """Clear counters, rate-limit windows and pending ``fail_next``; re-seed the fault RNG; forget the
        OAuth tokens and codes issued (and pending ``token_drop_after_rotation``).

        :param restore_config: Also restore the settings the emulator was created with.
        """
        if restore_config:
            self.state.config = self.state.initial_config.copy()
        self.state.reset()

    # -- OAuth app -----------------------------------------------------------------------------------------

    def issue_refresh_token(self) -> str:
        """Mint a valid refresh token, as a person gets after authorising the OAuth app (single-use).

        Same as ``POST /_emulator/oauth/refresh-token``.
        """
        return self.state.oauth.issue_refresh_token()

    def issue_authorization_code(self, redirect_uri: str) -> str:
        """Mint an authorization code for ``redirect_uri`` (exchangeable once at :data:`TOKEN_PATH`).

        Same as ``POST /_emulator/oauth/authorization-code``.

        :param redirect_uri: The redirect URI the exchange must name.
        """
        return self.state.oauth.issue_authorization_code(redirect_uri)

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expire now.

        Same as ``POST /_emulator/oauth/expire-access-tokens``.
        """
        self.state.oauth.expire_access_tokens()

    @property
    def token_url(self) -> str:
        """The token endpoint's full URL, ``{url}/oauth2/generate-customer-token``."""
        return f"{self.url}{TOKEN_PATH}"

    def oauth_connection_dict(
        self,
        refresh_token: str | None = None,
        *,
        access_token: str | None = None,
        host: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return an Airflow connection (``conn_type`` ``gong``) for an OAuth app of this emulator.

        No ``login`` / ``password``; ``extra`` holds ``client_id``, ``client_secret``, ``refresh_token``
        and ``token_url`` (plus ``access_token`` if given). Without ``host`` the client learns the API's
        base URL from the token answer's ``api_base_url_for_customer``.

        :param refresh_token: The refresh token (default: a fresh :meth:`issue_refresh_token`).
        :param access_token: A current access token to include.
        :param host: Also set ``host`` to :attr:`url`.
        :param extra: More ``extra`` fields (win over the ones above).
        """
        config = self.state.config
        conn: dict[str, Any] = {"conn_type": "gong"}
        if host:
            conn["host"] = self.url
        extras: dict[str, Any] = {
            "client_id": config.oauth_client_id,
            "client_secret": config.oauth_client_secret,
            "refresh_token": refresh_token if refresh_token is not None else self.issue_refresh_token(),
            "token_url": self.token_url,
        }
        if access_token is not None:
            extras["access_token"] = access_token
        extras.update(extra or {})
        conn["extra"] = extras
        return conn

    def oauth_connection_json(
        self,
        refresh_token: str | None = None,
        *,
        access_token: str | None = None,
        host: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Return :meth:`oauth_connection_dict` as JSON, e.g. for ``AIRFLOW_CONN_GONG_DEFAULT``.

        :param refresh_token: The refresh token (default: a fresh :meth:`issue_refresh_token`).
        :param access_token: A current access token to include.
        :param host: Also set ``host`` to :attr:`url`.
        :param extra: More ``extra`` fields.
        """
        return json.dumps(
            self.oauth_connection_dict(refresh_token, access_token=access_token, host=host, extra=extra)
        )

    @property
    def directory(self) -> UserDirectory:
        """The user data set currently served."""
        return self.state.directory

    @property
    def users(self) -> list[dict[str, Any]]:
        """Every user object (avatars included), in the emulator's order; fresh dicts."""
        return self.state.directory.users(include_avatars=True)

    @property
    def avatar_ids(self) -> frozenset[str]:
        """Ids of the avatar users."""
        return self.state.directory.avatar_ids

    # -- client helpers ------------------------------------------------------------------------------------

    def auth_headers(self, auth: AuthKind = "basic") -> dict[str, str]:
        """Return an ``Authorization`` header accepted by the emulator.

        :param auth: ``basic`` (access key + secret) or ``bearer`` (OAuth token).
        """
        config = self.state.config
        if auth == "bearer":
            if config.token is None:
                raise ValueError("bearer auth is disabled (config.token is None)")
            return {"Authorization": f"Bearer {config.token}"}
        raw = f"{config.access_key}:{config.secret}".encode()
        return {"Authorization": f"Basic {base64.b64encode(raw).decode('ascii')}"}

    def connection_dict(
        self, *, auth: AuthKind = "basic", extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return an Airflow connection (``conn_type`` ``gong``) for this emulator as a dict.

        ``host`` is the full base URL (scheme and port included). With ``basic`` auth ``login`` /
        ``password`` are the access key and secret; with ``bearer`` the token is in
        ``extra["access_token"]``.

        :param auth: ``basic`` or ``bearer``.
        :param extra: More ``extra`` fields (e.g. TLS verification options of the hook).
        """
        config = self.state.config
        conn: dict[str, Any] = {"conn_type": "gong", "host": self.url}
        extras: dict[str, Any] = {}
        if auth == "bearer":
            if config.token is None:
                raise ValueError("bearer auth is disabled (config.token is None)")
            extras["access_token"] = config.token
        else:
            conn["login"] = config.access_key
            conn["password"] = config.secret
        extras.update(extra or {})
        if extras:
            conn["extra"] = extras
        return conn

    def connection_json(self, *, auth: AuthKind = "basic", extra: Mapping[str, Any] | None = None) -> str:
        """Return the connection as JSON, e.g. for ``AIRFLOW_CONN_GONG_DEFAULT``.

        :param auth: ``basic`` or ``bearer``.
        :param extra: More ``extra`` fields.
        """
        return json.dumps(self.connection_dict(auth=auth, extra=extra))

    def connection_uri(self, *, auth: AuthKind = "basic", extra: Mapping[str, Any] | None = None) -> str:
        """Return the connection as an Airflow URI, in the form ``Connection.get_uri()`` writes.

        Airflow parses it back to ``host == self.url`` (port included, ``port`` empty).

        :param auth: ``basic`` or ``bearer``.
        :param extra: More ``extra`` fields.
        """
        conn = self.connection_dict(auth=auth, extra=extra)
        scheme, _, host = conn["host"].partition("://")
        uri = f"gong://{scheme}://"
        if "login" in conn:
            uri += f"{quote(conn['login'], safe='')}:{quote(conn['password'], safe='')}@"
        uri += quote(host, safe="")
        extras = conn.get("extra")
        if extras:
            if all(isinstance(value, str) for value in extras.values()):
                uri += "/?" + urlencode(extras)
            else:
                uri += "/?" + urlencode({"__extra__": json.dumps(extras)})
        return uri

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not started"
        return f"GongEmulator({where}, users={self.state.config.users})"
