"""Command line: ``python -m airflow_provider_gong.testing --port 8080 --users 250 --calls 300``.

Prints one line ``Gong emulator running at <url>`` once it accepts connections, then serves until SIGINT
or SIGTERM (exit status 0).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from airflow_provider_gong.testing.config import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET,
    DEFAULT_TOKEN,
    ConfigError,
    EmulatorConfig,
)
from airflow_provider_gong.testing.launch import READY_PREFIX
from airflow_provider_gong.testing.server import GongEmulator, is_loopback_host

__all__ = ["READY_PREFIX", "build_parser", "main"]


def _limit(text: str) -> int | None:
    if text.lower() in ("none", "off", "unlimited"):
        return None
    return int(text)


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share within 0..1")
    return value


def _json_list(text: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not valid JSON") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise argparse.ArgumentTypeError("expected a JSON list of objects")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_gong.testing",
        description=(
            "Serve an emulated Gong users and calls API (with late call processing on a settable clock, "
            "rate limits and injectable faults) locally."
        ),
    )
    server = parser.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    server.add_argument("--port", type=int, default=8080, help="TCP port, 0 for any free one (default: 8080)")
    server.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    server.add_argument("--ssl-certfile", help="PEM certificate: serve HTTPS")
    server.add_argument("--ssl-keyfile", help="PEM private key of --ssl-certfile")

    data = parser.add_argument_group("data")
    data.add_argument("--users", type=int, default=250, help="number of users (default: 250)")
    data.add_argument("--seed", type=int, default=0, help="data and fault seed (default: 0)")
    data.add_argument("--avatar-share", type=_share, default=None, help="share of avatar users")
    data.add_argument("--page-size", type=int, default=100, help="records per page (default: 100)")
    data.add_argument(
        "--cursor-ttl",
        type=float,
        default=None,
        help="seconds a paging cursor stays valid, then 400 'cursor has expired' (default: never)",
    )

    data.add_argument(
        "--company-timezone",
        default=None,
        help="the company's IANA time zone, for the stats' dates (default: UTC)",
    )

    calls = parser.add_argument_group("calls")
    calls.add_argument("--calls", type=int, default=300, help="number of calls (default: 300)")
    calls.add_argument(
        "--calls-from", default=None, help="earliest call start, ISO-8601 (default: 2026-11-01T00:00:00Z)"
    )
    calls.add_argument(
        "--calls-to", default=None, help="call starts end before, ISO-8601 (default: 2026-12-01T00:00:00Z)"
    )
    calls.add_argument(
        "--clock", default=None, help="the emulator's now, ISO-8601 with Z or offset (default: real time)"
    )
    calls.add_argument(
        "--processing-delay",
        type=float,
        default=None,
        help="seconds after its end a normal call is listed and complete (default: 3600)",
    )
    calls.add_argument("--late-share", type=_share, default=None, help="share of late calls (default: 0.15)")
    calls.add_argument(
        "--late-delay",
        type=float,
        default=None,
        help="seconds after its end a late call is listed and complete (default: 259200, 3 days)",
    )

    auth = parser.add_argument_group("auth")
    auth.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    auth.add_argument("--secret", default=DEFAULT_SECRET)
    auth.add_argument("--token", default=DEFAULT_TOKEN, help="OAuth bearer token ('none' disables bearer)")
    auth.add_argument(
        "--scopes",
        default=None,
        help="comma-separated granted scopes (default: every users and calls scope; '' for none)",
    )

    limits = parser.add_argument_group("rate limits")
    limits.add_argument("--rate-per-second", type=_limit, default=3, help="calls per second, or 'none'")
    limits.add_argument("--rate-per-day", type=_limit, default=10_000, help="calls per day, or 'none'")
    limits.add_argument("--day-seconds", type=float, default=86_400.0, help="length of a 'day' in seconds")

    faults = parser.add_argument_group("faults (shares 0..1)")
    faults.add_argument("--fail-5xx", type=_share, default=0.0)
    faults.add_argument("--fail-429", type=_share, default=0.0)
    faults.add_argument("--fail-429-retry-after-share", type=_share, default=0.5)
    faults.add_argument(
        "--retry-after", dest="fault_retry_after", default=None, help="Retry-After of injected 429s"
    )
    faults.add_argument("--drop", type=_share, default=0.0)
    faults.add_argument("--hang", type=_share, default=0.0)
    faults.add_argument("--truncate", type=_share, default=0.0)
    faults.add_argument("--bad-shape", type=_share, default=0.0)
    faults.add_argument("--slow", type=_share, default=0.0)
    faults.add_argument("--slow-seconds", type=float, default=5.0)
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    faults.add_argument("--latency-jitter", type=float, default=0.0)
    faults.add_argument("--fault-seed", type=int, default=None)
    faults.add_argument(
        "--fail-next",
        type=_json_list,
        default=None,
        help="JSON list of scripted answers for the first calls, e.g. '[{\"status\": 500}]'",
    )
    return parser


def _config(args: argparse.Namespace) -> EmulatorConfig:
    extra: dict[str, Any] = {}
    if args.avatar_share is not None:
        extra["avatar_share"] = args.avatar_share
    if args.fail_next is not None:
        extra["fail_next"] = args.fail_next
    if args.scopes is not None:
        extra["scopes"] = [scope.strip() for scope in args.scopes.split(",") if scope.strip()]
    for name in (
        "calls_from",
        "calls_to",
        "clock",
        "processing_delay",
        "late_share",
        "late_delay",
        "company_timezone",
    ):
        if getattr(args, name) is not None:
            extra[name] = getattr(args, name)
    return EmulatorConfig(
        users=args.users,
        calls=args.calls,
        seed=args.seed,
        page_size=args.page_size,
        cursor_ttl=args.cursor_ttl,
        access_key=args.access_key,
        secret=args.secret,
        token=None if args.token.lower() == "none" else args.token,
        rate_per_second=args.rate_per_second,
        rate_per_day=args.rate_per_day,
        day_seconds=args.day_seconds,
        fail_5xx=args.fail_5xx,
        fail_429=args.fail_429,
        fail_429_retry_after_share=args.fail_429_retry_after_share,
        fault_retry_after=args.fault_retry_after,
        drop=args.drop,
        hang=args.hang,
        truncate=args.truncate,
        bad_shape=args.bad_shape,
        slow=args.slow,
        slow_seconds=args.slow_seconds,
        latency=args.latency,
        latency_jitter=args.latency_jitter,
        fault_seed=args.fault_seed,
        **extra,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM.

    :param argv: Arguments (default: ``sys.argv[1:]``).
    :return: The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.allow_remote and not is_loopback_host(args.host):
        parser.error(f"refusing to listen on non-loopback host {args.host!r}; add --allow-remote to do so")
    try:
        config = _config(args)
    except ConfigError as exc:
        parser.error(str(exc))

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    emulator = GongEmulator(
        config,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        allow_remote=args.allow_remote,
    )
    try:
        try:
            emulator.start()
        except OSError as exc:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        except ImportError as exc:  # the emulator extra is not installed
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{READY_PREFIX}{emulator.url}", flush=True)
        while not stop.wait(0.5):
            if not emulator.running:
                print("error: the emulator stopped unexpectedly", file=sys.stderr)
                return 1
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
