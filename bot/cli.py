"""The `faqbot` command: argument parsing only; each command calls the library.

The user commands (ask, chat, telegram) are here, the maintainer ones in bot/tools/commands.py.

Domain errors become a one-line message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator

from bot.cli_common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CommandError, command_config, command_engine
from bot.tools.commands import cmd_bench, cmd_check, cmd_eval, cmd_intents, cmd_review

DESCRIPTION = ("French FAQ assistant about the DCI, the attachés de sécurité intérieure (ASI) and the "
               "SSI of Nouakchott: ask it questions, chat with it, run it on Telegram, maintain its data.")


def _stdin_questions() -> Iterator[str]:
    """Yield stdin lines; a line that is not UTF-8 is reported on stderr and skipped."""
    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            print(f"error: line {number} is not valid UTF-8 text; skipped", file=sys.stderr, flush=True)


def _argument_question(words: list[str]) -> str:
    """Join the question's words; bytes that are not UTF-8 (kept by Python as lone surrogates) are refused."""
    question = " ".join(words)
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise CommandError("error: the question is not valid UTF-8 text", EXIT_USAGE) from None
    return question


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions: the one given, or one per line of standard input.

    Example: faqbot ask "Qu'est-ce que la DCI ?"
             printf 'qui dirige le SSI ?\\net son mail ?\\n' | faqbot ask --dialog --json
    """
    from bot.channels.console import ask

    engine = command_engine(command_config(args))
    questions = [_argument_question(args.question)] if args.question else _stdin_questions()
    render = None
    if args.explain:
        from functools import partial

        from bot.tools.catalog import render_explanation

        render = partial(render_explanation, kb=engine.kb, as_json=args.json)
    return ask(engine, questions, sys.stdout, as_json=args.json, dialog=args.dialog, language=_language(args),
               render=render)


def _language(args: argparse.Namespace) -> str:
    """Return the language --lang forces ("" for auto: each message's own)."""
    return "" if args.lang == "auto" else args.lang


def cmd_chat(args: argparse.Namespace) -> int:
    """Talk with the bot in the terminal (/aide, /sujets, /debug, /reload, /quit; Ctrl-D exits).

    --debug (or /debug) shows, for each message, the ranked intents, their scores, the key-term
    guard's verdict and the rule that decided.
    Example: faqbot chat
             faqbot chat --debug
    """
    from bot.channels.console import chat, slow_notice

    config = command_config(args)
    with slow_notice(sys.stdout, enabled=sys.stdin.isatty()):  # the index is rebuilt after a data change: say so
        engine = command_engine(config)
    return chat(engine, language=_language(args), debug=args.debug)


def cmd_telegram(args: argparse.Namespace) -> int:
    """Run the Telegram bot: long polling, or a webhook with --webhook (stop with Ctrl-C or SIGTERM).

    The token comes only from the TELEGRAM_BOT_TOKEN environment variable (create a bot with
    @BotFather). In webhook mode the secret token comes from TELEGRAM_WEBHOOK_SECRET.
    Example: TELEGRAM_BOT_TOKEN=123456:ABC-DEF faqbot telegram --admin 12345678
             faqbot telegram --webhook https://bot.example.org/faqbot --port 8443
    """
    import dataclasses

    config = command_config(args)
    token = config.telegram_token
    if not token:
        raise CommandError("error: TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather on Telegram "
                           "(/newbot), then export TELEGRAM_BOT_TOKEN=<the token it gives you>", EXIT_USAGE)
    from bot.channels.telegram import ServiceError, SetupError, run

    t = config.telegram
    settings = dataclasses.replace(
        t, base_url=args.base_url or t.base_url, admin_ids=tuple(dict.fromkeys(t.admin_ids + tuple(args.admin))),
        webhook_url="" if args.polling else (args.webhook or t.webhook_url),
        webhook_listen=args.listen or t.webhook_listen, webhook_port=args.port or t.webhook_port)
    if args.webhook == "" and not settings.webhook_url:
        raise CommandError("error: --webhook needs a URL (or set webhook_url in config.toml [telegram])", EXIT_USAGE)
    config = dataclasses.replace(config, telegram=settings, log_level="INFO" if args.verbose else config.log_level)
    try:
        run(command_engine(config), config, token)
    except SetupError as exc:
        raise CommandError(f"error: {exc}", EXIT_USAGE) from None
    except ServiceError as exc:  # e.g. getUpdates refused for good: exit 1 so that systemd restarts it
        raise CommandError(f"error: {exc}", EXIT_ERROR) from None
    return EXIT_OK


def _doc(func: Callable[..., int]) -> tuple[str, str]:
    doc = (func.__doc__ or "").strip()
    return doc.splitlines()[0], doc


LANG_CHOICES = ("auto", "fr", "en", "ar")
LANG_HELP = "language of the replies: auto (each message's own; default), fr, en or ar"


Add = Callable[[str, Callable[..., int]], argparse.ArgumentParser]  # what build_parser's `add` is


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="faqbot", description=DESCRIPTION,
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

    # The order of the help's command list: ask, chat, the maintainer commands, telegram.
    _add_conversation_commands(add)
    _add_maintainer_commands(add)
    _add_telegram_command(add)
    return parser


def _add_conversation_commands(add: Add) -> None:
    """Add `ask` and `chat`."""
    p = add("ask", cmd_ask)
    p.add_argument("question", nargs="*", help="the question (read from stdin, one per line, if absent)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument("--dialog", action="store_true", help="treat all lines as one conversation")
    p.add_argument("--explain", action="store_true", help="show why each answer was chosen (JSON with --json)")
    p.add_argument("--lang", choices=LANG_CHOICES, default="auto", help=LANG_HELP)
    p = add("chat", cmd_chat)
    p.add_argument("--lang", choices=LANG_CHOICES, default="auto", help=LANG_HELP)
    p.add_argument("--debug", action="store_true", help="show the ranked intents, scores, guard and decision")


def _add_maintainer_commands(add: Add) -> None:
    """Add `eval`, `check`, `review`, `intents` and `bench` (their handlers are in bot/tools/commands.py)."""
    from pathlib import Path

    p = add("eval", cmd_eval)
    p.add_argument("--json", action="store_true", help="print metrics, per-intent scores, sweep and failures as JSON")
    p.add_argument("--set", type=Path, default=None, help="folder with questions.toml and dialogs.toml")
    p.add_argument("--no-loo", action="store_true", help="skip the leave-one-out accuracy")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="draw precision against coverage (needs matplotlib: pip install -e '.[plot]')")
    p.add_argument("--report", type=Path, default=None, metavar="DIR",
                   help="write DIR/report.json (confusion matrix, misclassified questions) and, with matplotlib, "
                        "DIR/confusion.png")
    p.add_argument("--log", nargs="?", const="", default=None, metavar="FILE",
                   help="write the clarify/fallback questions to the unanswered log (or FILE), for `faqbot review`")
    p.add_argument("--cross-validation", type=int, metavar="K", default=None,
                   help="score K stratified folds of the intents' own examples (matcher and decision fitted without "
                        "each fold)")
    p.add_argument("--suite", action="store_true",
                   help="run the behavioural test suite generated from the data (tests/suite/templates.toml)")
    p.add_argument("--seed", type=int, default=None, help="--suite: seed of the generated cases (default 11)")
    p.add_argument("--verbose", action="store_true", help="--suite: show failing examples of each test")
    p.add_argument("--lang", choices=("fr", "en", "ar"), default=None,
                   help="--suite: the language of the suite (fr: tests/suite/templates.toml, the default; "
                        "en, ar: tests/suite/templates_en.toml, templates_ar.toml)")
    p = add("check", cmd_check)
    p.add_argument("--json", action="store_true", help="print {ok, errors, warnings} as JSON")
    p = add("review", cmd_review)
    p.add_argument("--json", action="store_true", help="print the groups as JSON")
    p.add_argument("--log", type=Path, default=None, metavar="FILE",
                   help="read this log (default: [paths] unanswered_log)")
    p.add_argument("--limit", type=int, default=20, help="show at most this many groups (0: all; default 20)")
    p.add_argument("--similarity", type=float, default=0.5,
                   help="0-1 similarity of key terms for a question to join a group (default 0.5)")
    p.add_argument("--assign", action="append", default=[], metavar="QUESTION=INTENT",
                   help="add QUESTION (and its group) to the examples of INTENT, or to out_of_scope (repeatable)")
    p.add_argument("--interactive", action="store_true",
                   help="for each group, ask which intent it belongs to (or o = out of scope, Enter = skip)")
    p = add("intents", cmd_intents)
    p.add_argument("--json", action="store_true", help="export the whole knowledge base as JSON")
    p = add("bench", cmd_bench)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quick", action="store_true", help="smoke run: tiny sizes, few runs (figures not meaningful)")
    p.add_argument("--sizes", type=lambda v: [int(n) for n in v.split(",")], default=None, metavar="N,N,...",
                   help="synthetic knowledge base sizes in examples (default: 1000,10000,50000)")
    p.add_argument("--dataset", type=Path, default=None, metavar="PATH",
                   help="measure on a CLINC150 JSON file (train/val/test/oos_*) instead")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="with --dataset: the first N intents only")


def _add_telegram_command(add: Add) -> None:
    """Add `telegram`."""
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
