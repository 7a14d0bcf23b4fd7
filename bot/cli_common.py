"""What the faqbot commands share: the exit codes, CommandError, and loading the config and the engine.

bot/cli.py (the user commands and the parser) and bot/tools/commands.py (the maintainer commands)
both import it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.engine import Engine
    from bot.problems import KnowledgeError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem to report in one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def command_config(args: argparse.Namespace) -> Config:
    from bot.config import ConfigError, load_config

    try:
        return load_config(args.config)
    except ConfigError as exc:
        raise CommandError(f"error: {exc}") from None


def command_engine(config: Config, log_unanswered: bool = True) -> Engine:
    from bot.engine import Engine
    from bot.problems import KnowledgeError
    from bot.unanswered import UnansweredLog

    try:
        return Engine(config, UnansweredLog.from_config(config) if log_unanswered else None)
    except KnowledgeError as exc:
        raise broken_data(exc) from None


def broken_data(exc: KnowledgeError) -> CommandError:
    """Return the error saying the data is broken, with its errors."""
    lines = [str(p) for p in exc.problems if p.severity == "error"]
    return CommandError("error: the data is broken, run `faqbot check`:\n" + "\n".join(lines))
