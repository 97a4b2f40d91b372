"""The one table the suite prints (Markdown, so it can go into the README as is), and machine facts."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Row", "machine", "render"]


@dataclass(frozen=True)
class Row:
    """
    One line of the table.

    :param section: Section number and short name, e.g. ``"1 per call, https"``.
    :param measure: What is measured.
    :param ours: Our figure.
    :param others: What it is compared with (measured in the same run).
    :param ratio: Ours relative to the comparison, if meaningful.
    :param goal: The goal, in words.
    :param met: Whether the goal is met (``None``: informative row, no goal).
    """

    section: str
    measure: str
    ours: str
    others: str
    ratio: str
    goal: str
    met: bool | None

    @property
    def verdict(self) -> str:
        """``yes``, ``NO`` or ``-``."""
        return "-" if self.met is None else ("yes" if self.met else "**NO**")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table of ``header`` and ``rows``, its columns aligned."""
    cells = [header, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    out += [line(row) for row in rows]
    return "\n".join(out)


def render(rows: Sequence[Row]) -> str:
    """Render the rows as a Markdown table with aligned columns."""
    header = ("#", "measure", "GongHook", "compared with (same run)", "ratio", "goal", "met")
    return markdown_table(
        header, [(r.section, r.measure, r.ours, r.others, r.ratio, r.goal, r.verdict) for r in rows]
    )


def machine() -> str:
    """``nproc``, the CPU model, Python and the load average, in one line."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for entry in cpuinfo:
                if entry.startswith("model name"):
                    model = entry.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpus} CPUs ({model}), Python {sys.version.split()[0]} ({platform.system()}), {load}"
