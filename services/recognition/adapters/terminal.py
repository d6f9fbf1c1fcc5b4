"""Text for people at a terminal: a progress bar for long runs and the simulation as a chart-like
table (one bar per area: recognised under both rule sets, gained, lost)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ..domain.simulation import AreaImpact, SimulationReport

TITLE_NAMES = {
    "learning_family": "Learning Family (Gia đình học tập)",
    "learning_clan": "Learning Clan (Dòng họ học tập)",
    "learning_community": "Learning Community (Cộng đồng học tập, hamlet)",
    "learning_unit": "Learning Unit (Đơn vị học tập)",
    "learning_citizen": "Learning Citizen (Công dân học tập)",
}


class ProgressBar:
    """`[########------] 57% 114,000/200,000 entities` redrawn in place, at most ten times a second."""

    def __init__(
        self, total: int, label: str, stream: TextIO = sys.stderr, width: int = 30
    ) -> None:
        self.total, self.label, self.stream, self.width = max(total, 1), label, stream, width
        self.done = 0
        self._drawn = 0.0

    def advance(self, count: int) -> None:
        self.done = min(self.total, self.done + count)
        now = time.monotonic()
        if now - self._drawn >= 0.1 or self.done == self.total:
            self._drawn = now
            self.draw()

    def draw(self) -> None:
        share = self.done / self.total
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%} {self.done:,}/{self.total:,} {self.label}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def bar(row: AreaImpact, width: int = 20) -> str:
    """'█' recognised under both, '+' gained, '-' lost, '·' not recognised; scaled to `width`."""
    if not row.assessed:
        return "·" * width
    both = row.recognised_now - row.lost
    cells = [("█", both), ("+", row.gained), ("-", row.lost)]
    text = "".join(char * round(width * count / row.assessed) for char, count in cells)[:width]
    return text + "·" * (width - len(text))


def _percent(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.1f}"


def _hierarchy(rows: list[AreaImpact]) -> list[AreaImpact]:
    """Provinces, then each commune followed by its hamlets."""
    hamlets = [r for r in rows if r.level == "hamlet"]
    ordered = [r for r in rows if r.level == "province"]
    placed: set[str] = set()
    for commune in (r for r in rows if r.level == "commune"):
        ordered.append(commune)
        for hamlet in hamlets:
            if hamlet.parent_code == commune.area_code:
                ordered.append(hamlet)
                placed.add(hamlet.area_code)
    return ordered + [h for h in hamlets if h.area_code not in placed]


def render(report: SimulationReport) -> str:
    candidate = " ".join(report.candidate)
    replaces = " ".join(report.replaces) if report.replaces else "no rule set"
    lines = [
        f"What-if for {report.year}: candidate {candidate} instead of {replaces}.",
        "Shares are of the entities with evidence for the year; nothing was written or published.",
        "Bars: █ recognised either way, + gained under the candidate, - lost, · not recognised.",
    ]
    header = f"{'level':<10} {'area':<12} {'name':<24} {'assessed':>8} {'now %':>6} {'cand %':>6} {'Δ pts':>6} {'gained':>6} {'lost':>5}  chart"
    for title in report.titles:
        rows = _hierarchy([r for r in report.rows if r.title == title])
        lines += ["", TITLE_NAMES.get(title.value, title.value), header, "-" * len(header)]
        if not rows:
            lines.append("(no entity has evidence for this title and year)")
        for row in rows:
            delta = (
                ""
                if row.percent_now is None
                else f"{row.percent_candidate - row.percent_now:+6.1f}"
            )  # type: ignore[operator]
            indent = {"province": "", "commune": "  ", "hamlet": "    "}[row.level]
            name = (row.area_name or "")[:24]
            lines.append(
                f"{indent + row.level:<10} {row.area_code:<12} {name:<24} {row.assessed:>8,} {_percent(row.percent_now):>6} "
                f"{_percent(row.percent_candidate):>6} {delta:>6} {row.gained:>6,} {row.lost:>5,}  {bar(row)}"
            )
    return "\n".join(lines)
