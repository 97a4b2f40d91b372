"""Gong's official OpenAPI spec, the copy kept with the tests, and its operations by ``operationId``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["OPERATIONS", "SPEC", "SPEC_PATH"]

#: A copy of Gong's official OpenAPI spec (``../shared/gong-openapi.json``), kept with the tests.
SPEC_PATH = Path(__file__).resolve().parent / "data" / "gong-openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path, operation)
    return found


#: Every operation of the spec: ``operationId`` -> (method, path, the operation object).
OPERATIONS = _operations()
