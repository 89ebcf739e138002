"""Progress of an ingestion run: a bar on a terminal, periodic lines everywhere else.

The service reports a :class:`ProgressState` snapshot after every page; a reporter decides how
often to draw. Cron and CI capture output to files, where a carriage-return bar would be noise,
hence the plain lines there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class ProgressState:
    """A snapshot of a run's progress."""

    machine_days_done: int
    machine_days_total: int
    fetched: int
    stored: int
    duplicates: int
    skipped: int
    elapsed_s: float
    finished: bool = False

    @property
    def rate(self) -> float:
        """Measurements handled per second so far."""
        return self.fetched / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def describe(self) -> str:
        """One line of counters, shared by the bar and the plain lines."""
        return (
            f"{self.machine_days_done}/{self.machine_days_total} machine-days, "
            f"{self.fetched} measurements ({self.stored} new, {self.duplicates} already stored, "
            f"{self.skipped} skipped), {self.rate:.0f}/s"
        )


class ProgressReporter:
    """Draws progress to a stream: a bar on a TTY, otherwise a line every ``interval`` s."""

    BAR_WIDTH = 30

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool | None = None,
        interval: float = 5.0,
        label: str = "ingest",
    ) -> None:
        """``tty`` defaults to whether the stream is a terminal."""
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.interval = interval
        self.label = label
        self._last_draw = 0.0
        self._drew_bar = False

    def __call__(self, state: ProgressState) -> None:
        """Report a snapshot (throttled; the final one is always drawn)."""
        now = time.monotonic()
        min_gap = 0.1 if self.tty else self.interval
        if not state.finished and now - self._last_draw < min_gap:
            return
        self._last_draw = now
        if self.tty:
            total = max(state.machine_days_total, 1)
            filled = round(self.BAR_WIDTH * min(state.machine_days_done, total) / total)
            bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
            end = "\n" if state.finished else ""
            self.stream.write(f"\r{self.label} [{bar}] {state.describe()}\x1b[K{end}")
            self._drew_bar = not state.finished
        else:
            self.stream.write(f"{self.label}: {state.describe()}\n")
        self.stream.flush()

    def close(self) -> None:
        """End a bar line left open (e.g. when the run failed midway)."""
        if self._drew_bar:
            self.stream.write("\n")
            self.stream.flush()
            self._drew_bar = False
