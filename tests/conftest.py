"""Fixtures shared by the whole suite: the Gong emulator's pytest plugin (``gong_emulator`` & co)."""

from __future__ import annotations

pytest_plugins = ["airflow_provider_gong.testing.pytest_plugin"]
