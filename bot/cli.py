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
    from bot.problems import KnowledgeError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
DESCRIPTION = ("French FAQ assistant about the DCI, the attachés de sécurité intérieure (ASI) and the "
               "SSI of Nouakchott: ask it questions, chat with it, run it on Telegram, maintain its data.")


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
    from bot.problems import KnowledgeError
    from bot.unanswered import UnansweredLog

    try:
        return Engine(config, UnansweredLog.from_config(config) if log_unanswered else None)
    except KnowledgeError as exc:
        raise _broken(exc) from None


def _broken(exc: KnowledgeError) -> CommandError:
    """Return the error saying the data is broken, with its errors."""
    lines = [str(p) for p in exc.problems if p.severity == "error"]
    return CommandError("error: the data is broken, run `faqbot check`:\n" + "\n".join(lines))


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

    engine = _engine(_config(args))
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

    config = _config(args)
    with slow_notice(sys.stdout, enabled=sys.stdin.isatty()):  # the index is rebuilt after a data change: say so
        engine = _engine(config)
    return chat(engine, language=_language(args), debug=args.debug)


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure accuracy on the labelled evaluation set (never used for training).

    Prints per-intent precision and recall, the most confused intents and a sweep of the answer
    threshold around the one the engine learned out of fold: coverage (share of questions
    answered) and precision (share of answers that are right). --log writes the clarify/fallback
    questions to the unanswered log.
    Example: faqbot eval
             faqbot eval --json --plot sweep.png
             faqbot eval --report eval-report   (confusion matrix and misclassified questions)
             faqbot eval --log && faqbot review
             faqbot eval --set tests/holdout --no-loo   (the held-out set: measure, never tune on it)
             faqbot eval --suite --verbose   (behavioural tests generated from the data, bot/tools/suite.py)
             faqbot eval --cross-validation 4   (the intents' own examples, fold by fold: tune on this)
    """
    import dataclasses
    from pathlib import Path

    if args.cross_validation is not None:
        return _cross_validation(args)
    if args.suite:
        from bot.tools.suite import suite_command

        return suite_command(_engine(_config(args), log_unanswered=False), args.seed, args.verbose, args.json)
    from bot.tools.evaluation import EvaluationSetError, evaluate
    from bot.tools.tuning import analyse, analysis_json, format_report, plot_sweep

    config = _config(args)
    if args.plot:
        _require_matplotlib()  # before the evaluation, not after it
    if args.log:
        paths = dataclasses.replace(config.paths, unanswered_log=Path(args.log).resolve())
        config = dataclasses.replace(config, paths=paths)
    folder = args.set or config.paths.evaluation
    try:
        engine = _engine(config, log_unanswered=args.log is not None)
        report = evaluate(engine, folder, leave_one_out=not args.no_loo)
        analysis = analyse(report, engine.answer_threshold, config.decision.target_precision)
    except EvaluationSetError as exc:
        raise CommandError(f"error: {exc}") from None
    if args.plot:
        plot_sweep(analysis, args.plot)
    if args.json:
        print(json.dumps(analysis_json(report, analysis), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, analysis))
    if args.log is not None:
        print(f"{report.not_answered} clarify/fallback replies written to {config.paths.unanswered_log}; "
              "see them with `faqbot review`", file=sys.stderr)
    if args.plot:
        print(f"sweep plot written to {args.plot}", file=sys.stderr)
    if args.report:
        from bot.tools.report import write_report

        written = write_report(report, args.report)
        print(f"report written to {', '.join(map(str, written))}", file=sys.stderr)
    return EXIT_OK


PLOT_HINT = "pip install -e '.[plot]' in the checkout (or pip install matplotlib)"


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError(f"error: --plot needs matplotlib; install it with: {PLOT_HINT}") from None


def _cross_validation(args: argparse.Namespace) -> int:
    from bot.problems import KnowledgeError
    from bot.reader import load_knowledge
    from bot.tools import crossval

    if args.cross_validation < 2:
        raise CommandError("error: --cross-validation needs at least 2 folds", EXIT_USAGE)
    config = _config(args)
    try:
        kb = load_knowledge(config.paths.knowledge, config.paths.intents, config.text.language)
    except KnowledgeError as exc:
        raise CommandError(f"error: {exc}") from None
    scores = crossval.run(config, kb, args.cross_validation)
    print(json.dumps(crossval.as_json(scores), indent=2) if args.json else crossval.format_scores(scores))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Check knowledge/ and intents/: one line per problem, `path:line: id: what is wrong and how to fix it`.

    Errors (exit 1) break loading, or put in an answer a number, phone number, e-mail, date or
    acronym that the source document does not contain. Warnings (exit 0) deserve a look:
    repeated or near-duplicate examples, too few examples, answers no intent uses. Data that loads
    is then fitted (or read from the cache): the last lines say whether the SVM is fitted and
    which answer threshold the decision learned.
    Example: faqbot check
             faqbot check --json
    """
    from bot.tools.checks import check_data, format_problems, problems_json

    config = _config(args)
    problems = check_data(config)
    base = config.path.parent
    broken = any(p.severity == "error" for p in problems)
    summary = None
    if not broken:  # the model of data that loads: fitted now, or read from the cache
        from bot.tools.model import describe, format_model

        summary = describe(_engine(config, log_unanswered=False))
    if args.json:
        print(json.dumps({**problems_json(problems, base), "model": summary}, ensure_ascii=False, indent=2))
    else:
        print(format_problems(problems, base) + (f"\n{format_model(summary)}" if summary else ""))
    return EXIT_ERROR if broken else EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """Group the questions the bot could not answer (the unanswered log), most asked first.

    Each group shows the nearest intent with its confidence and suggests either adding the
    questions as examples of that intent or writing a new intent (only if the source answers it).
    --interactive asks, group by group, which intent the questions belong to (or out_of_scope, or
    skip); --assign does the same for scripts. The questions are written into intents/*.toml
    (comments kept), `faqbot check` runs, and handled questions are not proposed again.
    Example: faqbot review
             faqbot eval --log && faqbot review --limit 5
             faqbot review --interactive
             faqbot review --assign "combien d'agents à la DCI ?=out_of_scope"
    """
    from bot.tools.assign import Handled
    from bot.tools.review import format_review, is_noise, review
    from bot.unanswered import UnansweredLog

    config = _config(args)
    path = args.log.resolve() if args.log else config.paths.unanswered_log
    m = config.maintenance
    engine = _engine(config, log_unanswered=False)
    handled = Handled(path)
    done = handled.normalized()
    logged = [e for e in UnansweredLog(path, m.log_max_bytes, m.log_backups).entries() if str(e["question"]).strip()]
    entries = [e for e in logged if engine.kb.normalize(str(e["question"])) not in done]
    noise = sum(is_noise(str(e["question"]).strip()) for e in entries)
    groups = review(engine, entries, bound=args.similarity)
    if args.assign or args.interactive:
        from bot.tools.assign import AssignError, review_and_write

        lines = iter(sys.stdin.readline, "") if args.interactive else None
        try:
            return review_and_write(config, engine.kb, groups, handled, args.assign, lines)
        except AssignError as exc:
            raise CommandError(f"error: {exc}") from None
    if args.json:
        shown = groups[: args.limit] if args.limit else groups
        print(json.dumps({"log": str(path), "questions": len(entries), "noise": noise,
                          "groups": [g.to_json() for g in shown]}, ensure_ascii=False, indent=2))
    else:
        print(format_review(groups, len(entries) - noise, str(path), args.limit, noise))
    return EXIT_OK


def cmd_intents(args: argparse.Namespace) -> int:
    """List the intents (id, topic, number of examples, answer title); --json exports the whole knowledge base.

    Example: faqbot intents
             faqbot intents --json > knowledge.json
    """
    from bot.problems import KnowledgeError
    from bot.reader import load_knowledge
    from bot.tools.catalog import export_knowledge, format_intents

    config = _config(args)
    try:
        kb = load_knowledge(config.paths.knowledge, config.paths.intents)
    except KnowledgeError as exc:
        raise _broken(exc) from None
    if args.json:
        print(json.dumps(export_knowledge(kb, config.path.parent), ensure_ascii=False, indent=2))
    else:
        print(format_intents(kb))
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
        run(_engine(config), config, token)
    except SetupError as exc:
        raise CommandError(f"error: {exc}", EXIT_USAGE) from None
    except ServiceError as exc:  # e.g. getUpdates refused for good: exit 1 so that systemd restarts it
        raise CommandError(f"error: {exc}", EXIT_ERROR) from None
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure start-up time, latency, memory and scaling on this machine (takes a few minutes).

    Cold start of `faqbot ask`, warm latency on the evaluation questions, peak RSS, and synthetic
    knowledge bases of 1,000 / 10,000 / 50,000 examples against a naive rapidfuzz scan.
    --dataset measures the intent layer on a CLINC150 JSON file instead (both protocols of the
    paper, against a TF-IDF + LinearSVC baseline and the published figures).
    Example: faqbot bench
             faqbot bench --quick --json
             faqbot bench --dataset data_full.json
             faqbot bench --dataset data_small.json --limit 20 --json
    """
    from bot.tools.bench import format_table, run_bench

    config = _config(args)
    if args.dataset is not None:
        return _bench_dataset(config, args)
    try:
        result = run_bench(config, quick=args.quick, sizes=args.sizes)
    except (RuntimeError, OSError) as exc:
        raise CommandError(f"error: {exc}") from None
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_table(result))
    return EXIT_OK


def _bench_dataset(config: Config, args: argparse.Namespace) -> int:
    """Run `faqbot bench --dataset` and print its figures."""
    from bot.tools.clinc import DatasetError, format_dataset_table, run_dataset_bench

    try:
        result = run_dataset_bench(config, args.dataset, limit=args.limit)
    except (DatasetError, OSError) as exc:
        raise CommandError(f"error: {exc}") from None
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_dataset_table(result))
    return EXIT_OK


def _doc(func: Callable[..., int]) -> tuple[str, str]:
    doc = (func.__doc__ or "").strip()
    return doc.splitlines()[0], doc


LANG_CHOICES = ("auto", "fr", "en", "ar")
LANG_HELP = "language of the replies: auto (each message's own; default), fr, en or ar"


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

    p = add("ask", cmd_ask)
    p.add_argument("question", nargs="*", help="the question (read from stdin, one per line, if absent)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument("--dialog", action="store_true", help="treat all lines as one conversation")
    p.add_argument("--explain", action="store_true", help="show why each answer was chosen (JSON with --json)")
    p.add_argument("--lang", choices=LANG_CHOICES, default="auto", help=LANG_HELP)
    p = add("chat", cmd_chat)
    p.add_argument("--lang", choices=LANG_CHOICES, default="auto", help=LANG_HELP)
    p.add_argument("--debug", action="store_true", help="show the ranked intents, scores, guard and decision")
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
