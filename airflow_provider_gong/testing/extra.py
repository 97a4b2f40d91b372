"""The emulator's own dependencies (the ``emulator`` extra), imported only when they are needed."""

from __future__ import annotations

import importlib

__all__ = ["INSTALL_EXTRA", "require"]

#: What to install when one of them is missing.
INSTALL_EXTRA = "pip install 'airflow-provider-gong[emulator]'"


def require(module: str, purpose: str) -> None:
    """Import ``module``, or raise an :class:`ImportError` that says which extra brings it.

    :param module: e.g. ``"uvicorn"``.
    :param purpose: What needs it, for the message (``"the Gong emulator"``).
    """
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs {module}, which is not installed: {INSTALL_EXTRA}", name=module
        ) from exc
