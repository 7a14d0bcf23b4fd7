"""Say once, clearly, when a place the bot writes to (var/, .cache/) is not writable; never stop it."""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger("faqbot")
_warned: set[tuple[str, Path]] = set()


def warn_unwritable(what: str, path: Path, exc: OSError, consequence: str) -> None:
    """Log one warning per (what, folder): what could not be written, why, what it costs, how to fix it."""
    key = (what, path.parent)
    if key in _warned:
        return
    _warned.add(key)
    reason = exc.strerror or exc.__class__.__name__
    logger.warning("cannot write the %s %s (%s): %s; make %s writable by this user or change [paths] in config.toml",
                   what, path, reason, consequence, path.parent)
