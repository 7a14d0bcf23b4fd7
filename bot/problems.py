"""Problems found in the data, and where they are written (`path:line`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the data, located precisely enough for a maintainer to fix it."""

    path: Path
    line: int | None
    item: str
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.item}: {self.message}"


class KnowledgeError(Exception):
    """The data has errors; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the data:\n" + "\n".join(map(str, errors)))


class Lines:
    """Find the line where an item or a string is written in a data file, for `path:line` locations."""

    def __init__(self) -> None:
        self._texts: dict[Path, list[str]] = {}

    def remember(self, path: Path, text: str) -> None:
        """Keep the text of a file already read, so it is not read again."""
        self._texts[path] = text.splitlines()

    def of(self, path: Path) -> list[str]:
        """Return the lines of `path` (empty when unreadable; a file that is not UTF-8 still shows its ids)."""
        if path not in self._texts:
            try:
                self._texts[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._texts[path] = []
        return self._texts[path]

    def of_id(self, path: Path, item_id: str, nth: int = 0) -> int | None:
        """Return the line where `id = "item_id"` (or a table named item_id) is written, its `nth` one if several.

        An item named `id = 5` (an id that is not a string) is found as written.
        """
        if item_id.startswith("id = "):
            pattern = re.compile(r"^\s*id\s*=\s*" + re.escape(item_id[5:]) + r"\s*(?:#|$)")
        else:
            item = re.escape(item_id)
            pattern = re.compile(r'^\s*(?:id\s*=\s*["\']' + item + r'["\']|\[[^\]]*\b' + item + r"\])")
        found = [n for n, line in enumerate(self.of(path), 1) if pattern.match(line)]
        return found[min(nth, len(found) - 1)] if found else None

    def of_text(self, path: Path, item_id: str, text: str, quoted: bool = False) -> int | None:
        """Return the line of item `item_id` where `text` (a quoted string if `quoted`) is written.

        Falls back to the item's id line when the text is not written literally (TOML escapes).
        """
        start = self.of_id(path, item_id)
        lines = self.of(path)
        needles = [f'"{text}"', f"'{text}'", json.dumps(text, ensure_ascii=False)] if quoted else [text]
        for n in range(start or 1, len(lines) + 1):
            if start and n > start and lines[n - 1].lstrip().startswith("[["):
                break  # the next item starts
            if any(needle in lines[n - 1] for needle in needles):
                return n
        return start

    def written(self, folder: Path, regex: str) -> set[str]:
        """Return group 1 of every line of folder/*.toml matching `regex`, even in tables that failed to load."""
        pattern = re.compile(regex)
        return {m.group(1) for path in sorted(folder.glob("*.toml")) for line in self.of(path)
                if (m := pattern.match(line))}


def unclosed_line(text: str) -> int | None:
    """Return the line of the outermost bracket never closed ("Unclosed array (at end of document)")."""
    depth, opened, quote = 0, None, ""
    for number, line in enumerate(text.splitlines(), 1):
        for ch in line:
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            elif ch == "[":
                depth += 1
                opened = number if depth == 1 else opened
            elif ch == "]":
                depth = max(depth - 1, 0)
    return opened if depth else None
