"""Logs without the token or user data: the scrubbing filter, scrubbed tracebacks, the logging set-up."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable

import httpx

LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "hpack")


class _Hidden:
    def __str__(self) -> str:
        return "…"

    __repr__ = __str__


def scrubbed_traceback(exc: BaseException) -> str:
    """A traceback whose exception messages are dropped (they may quote user text), Telegram's errors excepted."""
    from telegram.error import TelegramError

    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        said = str(current) if isinstance(current, TelegramError | httpx.HTTPError | OSError) else ""
        parts.insert(0, "".join(traceback.format_tb(current.__traceback__))
                     + f"{type(current).__module__}.{type(current).__qualname__}{': ' + said if said else ''}\n")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "Traceback (most recent call last):\n" + "\nDuring handling, another exception:\n".join(parts)


class LogScrubber(logging.Filter):
    """Keep secrets and user data out of every log record.

    Secrets (the token is in every Bot API URL) are replaced. Records of the libraries
    (LIBRARY_LOGGERS) keep their fixed text and their numbers only: their arguments may be
    updates, messages or users. Tracebacks keep their frames, not the messages of exceptions
    other than Telegram's and the network's.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in LIBRARY_LOGGERS and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            shown = tuple(a if type(a) in (int, float, bool) else _Hidden() for a in args)
            try:
                record.msg = str(record.msg) % shown
            except (TypeError, ValueError):
                record.msg = str(record.msg)
            record.args = None
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(scrubbed_traceback(record.exc_info[1]))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`, never showing `secrets` or user data."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines are URLs holding the token
    scrubber = LogScrubber(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrubber)
