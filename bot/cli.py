"""The `faqbot` command: argument parsing only; each command calls the library.

Domain errors become a one-line message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.engine import Engine

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem to report in one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _config(args: argparse.Namespace) -> Config:
    from bot.config import ConfigError, load_config

    try:
        return load_config(args.config)
    except ConfigError as exc:
        raise CommandError(f"error: {exc}") from None


def _engine(config: Config, log_unanswered: bool = True) -> Engine:
    from bot.engine import Engine
    from bot.knowledge import KnowledgeError

    try:
        return Engine(config, log_unanswered=log_unanswered)
    except KnowledgeError as exc:
        lines = [str(p) for p in exc.problems if p.severity == "error"]
        raise CommandError("error: the data is broken, run `faqbot check`:\n" + "\n".join(lines)) from None


def _stdin_questions() -> Iterator[str]:
    """Yield stdin lines; a line that is not UTF-8 is reported on stderr and skipped."""
    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            print(f"error: line {number} is not valid UTF-8 text; skipped", file=sys.stderr, flush=True)


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions: the one given, or one per line of standard input.

    Example: faqbot ask "Qu'est-ce que la DCI ?"
             printf 'qui dirige le SSI ?\\net son mail ?\\n' | faqbot ask --dialog --json
    """
    from bot.channels.console import ask

    engine = _engine(_config(args))
    questions = [" ".join(args.question)] if args.question else _stdin_questions()
    if args.explain:
        return _explain(engine, questions, args.dialog)
    return ask(engine, questions, sys.stdout, as_json=args.json, dialog=args.dialog)


def _explain(engine: Engine, questions: object, dialog: bool) -> int:
    from bot.dialogue import Conversation

    shared = Conversation()
    for question in questions:  # type: ignore[attr-defined]
        reply = engine.reply(question, shared if dialog else Conversation())
        print(json.dumps({**reply.to_json(), "explanation": reply.explanation}, ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    """Talk with the bot in the terminal (/aide, /sujets, /reload, /quit; Ctrl-D exits).

    Example: faqbot chat
    """
    from bot.channels.console import chat

    return chat(_engine(_config(args)))


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure accuracy on the labelled evaluation set (never used for training).

    Example: faqbot eval --json
    """
    from bot.maintenance import EvaluationSetError, evaluate, format_report

    config = _config(args)
    try:
        report = evaluate(_engine(config, log_unanswered=False), args.set or config.paths.evaluation, leave_one_out=not args.no_loo)
    except EvaluationSetError as exc:
        raise CommandError(f"error: {exc}") from None
    if args.json:
        print(json.dumps({"metrics": report.metrics(), "failures": report.failures}, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return EXIT_OK


def cmd_telegram(args: argparse.Namespace) -> int:
    """Run the Telegram bot: long polling, or a webhook with --webhook (stop with Ctrl-C or SIGTERM).

    The token comes only from the TELEGRAM_BOT_TOKEN environment variable (create a bot with
    @BotFather). In webhook mode the secret token comes from TELEGRAM_WEBHOOK_SECRET.
    Example: TELEGRAM_BOT_TOKEN=123456:ABC-DEF faqbot telegram --admin 12345678
             faqbot telegram --webhook https://bot.example.org/faqbot --port 8443
    """
    import dataclasses

    config = _config(args)
    token = config.telegram_token
    if not token:
        raise CommandError("error: TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather on Telegram "
                           "(/newbot), then export TELEGRAM_BOT_TOKEN=<the token it gives you>", EXIT_USAGE)
    from bot.channels.telegram import SetupError, run

    t = config.telegram
    settings = dataclasses.replace(
        t, base_url=args.base_url or t.base_url, admin_ids=tuple(dict.fromkeys(t.admin_ids + tuple(args.admin))),
        webhook_url="" if args.polling else (args.webhook or t.webhook_url),
        webhook_listen=args.listen or t.webhook_listen, webhook_port=args.port or t.webhook_port)
    if args.webhook == "" and not settings.webhook_url:
        raise CommandError("error: --webhook needs a URL (or set webhook_url in config.toml [telegram])", EXIT_USAGE)
    config = dataclasses.replace(config, telegram=settings, log_level="INFO" if args.verbose else config.log_level)
    try:
        run(_engine(config), config, token)
    except SetupError as exc:
        raise CommandError(f"error: {exc}", EXIT_USAGE) from None
    return EXIT_OK


def _doc(func: Callable[..., int]) -> tuple[str, str]:
    doc = (func.__doc__ or "").strip()
    return doc.splitlines()[0], doc


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="faqbot", description=__doc__.splitlines()[0] if __doc__ else None,
                                     epilog="Example: faqbot ask \"Qu'est-ce que la DCI ?\"")
    parser.add_argument("--version", action="version", version="faqbot 0.1.0")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=None, help="path of config.toml (default: the repository's)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Callable[..., int]) -> argparse.ArgumentParser:
        summary, doc = _doc(func)
        p = sub.add_parser(name, parents=[common], help=summary, description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = add("ask", cmd_ask)
    p.add_argument("question", nargs="*", help="the question (read from stdin, one per line, if absent)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument("--dialog", action="store_true", help="treat all lines as one conversation")
    p.add_argument("--explain", action="store_true", help="show why each answer was chosen")
    add("chat", cmd_chat)
    p = add("eval", cmd_eval)
    p.add_argument("--json", action="store_true", help="print the metrics and failures as JSON")
    p.add_argument("--set", type=Path, default=None, help="folder with questions.toml and dialogs.toml")
    p.add_argument("--no-loo", action="store_true", help="skip the leave-one-out accuracy")
    p = add("telegram", cmd_telegram)
    p.add_argument("--base-url", default=None, help="Bot API base URL (default: config.toml [telegram] base_url)")
    p.add_argument("--admin", type=int, action="append", default=[], metavar="USER_ID",
                   help="a Telegram user id allowed to /reload and /stats (repeatable; adds to config.toml)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--webhook", nargs="?", const="", default=None, metavar="URL",
                      help="serve a webhook at this public URL (default: config.toml webhook_url)")
    mode.add_argument("--polling", action="store_true", help="use long polling even if webhook_url is set")
    p.add_argument("--listen", default=None, help="webhook listen address (default: config.toml webhook_listen)")
    p.add_argument("--port", type=int, default=None, help="webhook listen port (default: config.toml webhook_port)")
    p.add_argument("--verbose", "-v", action="store_true", help="log at INFO level (the token is never logged)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
