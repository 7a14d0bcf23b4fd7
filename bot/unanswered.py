"""The unanswered-question log: every clarify and fallback, as JSON lines, for `faqbot review`.

No user id, name or chat id is ever written. Each record is one `write` of a whole line on a
file opened in append mode, so a crash can at worst truncate the last line, never an earlier
one; readers skip a truncated line. The file rotates at `max_bytes` (`.1`, `.2`, ...).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.writable import warn_unwritable

if TYPE_CHECKING:
    from bot.config import Config

MAX_QUESTION_CHARS = 1000


class Recorder(Protocol):
    """What the engine tells about the questions it did not answer (an UnansweredLog, in production)."""

    def record(self, channel: str, question: str, status: str, candidates: list[dict[str, Any]]) -> None: ...


class UnansweredLog:
    """Append-only, rotated JSON-lines log of the questions the bot could not answer."""

    @classmethod
    def from_config(cls, config: Config) -> UnansweredLog:
        """Return the log at the configured path, with the configured rotation."""
        m = config.maintenance
        return cls(config.paths.unanswered_log, m.log_max_bytes, m.log_backups)

    def __init__(self, path: Path, max_bytes: int = 5_000_000, backups: int = 3) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()

    def record(self, channel: str, question: str, status: str, candidates: list[dict[str, Any]]) -> None:
        """Append one entry; an unwritable log never stops the bot from answering."""
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "channel": channel, "status": status,
            "question": question[:MAX_QUESTION_CHARS],
            "candidates": [{"intent": c["intent"], "score": c["score"]} for c in candidates[:3]],
        }
        # "replace": a lone surrogate from a broken client must not make the user's reply fail.
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._rotate_if_needed(len(line))
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        line = b"\n" + line  # a crash cut the last line short: start a fresh one
                    os.write(fd, line)
                finally:
                    os.close(fd)
            except OSError as exc:  # losing a log line is better than failing the user's question
                warn_unwritable("unanswered log", self.path, exc, "clarify/fallback questions are not recorded for "
                                "`faqbot review`")

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size + incoming <= self.max_bytes:
            return
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def entries(self) -> Iterator[dict[str, Any]]:
        """Yield every readable entry, oldest file first; truncated or foreign lines are skipped."""
        files = [self.path.with_name(f"{self.path.name}.{n}") for n in range(self.backups, 0, -1)] + [self.path]
        for path in files:
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            for line in raw.splitlines():
                try:
                    entry = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue
                if isinstance(entry, dict) and "question" in entry:
                    yield entry
