"""A dependency-free progress line for long CLI work, written to stderr.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line every few
seconds, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Count work done and show it: ``with Progress("sending", total=n) as p: p.advance()``."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        stream: TextIO | None = None,
        every: float = 5.0,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every = 0.1 if self._tty else every
        self._start = time.monotonic()
        self._last = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def advance(self, n: int = 1, **status: object) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._draw(now, status)

    def finish(self, **status: object) -> None:
        self._draw(time.monotonic(), status)
        if self._tty:
            self._stream.write("\n")
        self._stream.flush()

    def _draw(self, now: float, status: dict[str, object]) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        if self.total:
            width = 24
            filled = int(width * min(self.done / self.total, 1.0))
            bar = "#" * filled + "-" * (width - filled)
            head = f"{self.label} [{bar}] {self.done}/{self.total}"
        else:
            head = f"{self.label} {self.done}"
        extra = "".join(f" {k}={v}" for k, v in status.items())
        line = f"{head} ({rate:,.0f}/s, {elapsed:.1f}s){extra}"
        if self._tty:
            self._stream.write("\r\x1b[2K" + line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
