"""Section 5: what Airflow pays at every start to discover the provider (the entry-point module)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["OURS", "THEIRS", "ImportCost", "compare_import_cost", "measure_import"]

OURS = "airflow_provider_gong.get_provider_info"
THEIRS = "airflow.providers.http.get_provider_info"

_START = "@@bench-import-start@@"
_END = "@@bench-import-end@@"
_CODE = f"""
import sys
print({_START!r}, file=sys.stderr, flush=True)
import {{module}}
print({_END!r}, file=sys.stderr, flush=True)
import json
print(json.dumps({{{{"airflow": "airflow" in sys.modules, "requests": "requests" in sys.modules}}}}))
"""


@dataclass(frozen=True)
class ImportCost:
    """
    Importing one module in a fresh interpreter (``python -X importtime``), medians over runs.

    :param module: The module imported.
    :param microseconds: Sum of the "self" import times of every module it pulled in.
    :param modules: How many modules it pulled in.
    :param imports_airflow: Whether ``airflow`` ended up in ``sys.modules``.
    :param imports_requests: Whether ``requests`` ended up in ``sys.modules``.
    """

    module: str
    microseconds: float
    modules: int
    imports_airflow: bool
    imports_requests: bool


def measure_import(module: str) -> tuple[int, int, dict[str, bool]]:
    """
    Import ``module`` once in a fresh ``python -X importtime``; return (µs, modules, what got imported).

    Only the import lines between two markers count, so interpreter start-up is left out;
    ``sys.modules`` is checked after the import.

    Note that inside Airflow, ``import airflow`` itself already imports every provider's entry-point
    module; this measures what the module costs on its own (e.g. to a tool that lists providers).

    :param module: Dotted module name.
    """
    code = _CODE.format(module=module)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stderr.splitlines()
    inside = lines[lines.index(_START) + 1 : lines.index(_END)]
    total = 0
    count = 0
    for line in inside:
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if not fields[0].strip().isdigit():
            continue  # the header line
        total += int(fields[0])
        count += 1
    flags: dict[str, bool] = json.loads(result.stdout.strip().splitlines()[-1])
    return total, count, flags


def compare_import_cost(runs: int) -> tuple[ImportCost, ImportCost]:
    """
    Measure ours and the http provider's entry-point module ``runs`` times each, alternating.

    :param runs: Measured runs per module (after one unmeasured run each, to write ``.pyc`` files).
    """
    modules = (OURS, THEIRS)
    for module in modules:
        measure_import(module)
    samples: dict[str, list[tuple[int, int, dict[str, bool]]]] = {module: [] for module in modules}
    for _ in range(runs):
        for module in modules:
            samples[module].append(measure_import(module))
    out = []
    for module in modules:
        rows = samples[module]
        out.append(
            ImportCost(
                module=module,
                microseconds=statistics.median(row[0] for row in rows),
                modules=int(statistics.median(row[1] for row in rows)),
                imports_airflow=any(row[2]["airflow"] for row in rows),
                imports_requests=any(row[2]["requests"] for row in rows),
            )
        )
    return out[0], out[1]
