"""The maintainer commands of `faqbot`: eval, check, review, intents and bench.

Each handler reads the parsed arguments and calls the library (bot/tools/); bot/cli.py builds the
parser and runs them. Domain errors are raised as CommandError (bot/cli_common.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from bot.cli_common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CommandError, broken_data, command_config, command_engine

if TYPE_CHECKING:
    from bot.config import Config


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
             faqbot eval --suite --lang en   (the English suite; --lang ar: the Arabic one)
             faqbot eval --cross-validation 4   (the intents' own examples, fold by fold: tune on this)
    """
    import dataclasses
    from pathlib import Path

    if args.lang is not None and not args.suite:
        raise CommandError("error: --lang chooses the language of --suite; without it, faqbot eval reports "
                           "every language of the evaluation set", EXIT_USAGE)
    if args.cross_validation is not None:
        return _cross_validation(args)
    if args.suite:
        from bot.tools.suite import suite_command

        return suite_command(command_engine(command_config(args), log_unanswered=False), args.seed, args.verbose,
                             args.json, args.lang or "fr")
    from bot.tools.evaluation import EvaluationSetError, evaluate
    from bot.tools.tuning import analyse, analysis_json, format_report, plot_sweep

    config = command_config(args)
    if args.plot:
        _require_matplotlib()  # before the evaluation, not after it
    if args.log:
        paths = dataclasses.replace(config.paths, unanswered_log=Path(args.log).resolve())
        config = dataclasses.replace(config, paths=paths)
    folder = args.set or config.paths.evaluation
    try:
        engine = command_engine(config, log_unanswered=args.log is not None)
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
    config = command_config(args)
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
    which answer thresholds the decision learned, and warn if it answers nothing in a language.
    Example: faqbot check
             faqbot check --json
    """
    from bot.tools.checks import check_data, format_problems, problems_json

    config = command_config(args)
    problems = check_data(config)
    base = config.path.parent
    broken = any(p.severity == "error" for p in problems)
    summary = None
    if not broken:  # the model of data that loads: fitted now, or read from the cache
        from bot.tools.model import describe, format_model

        summary = describe(command_engine(config, log_unanswered=False))
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

    config = command_config(args)
    path = args.log.resolve() if args.log else config.paths.unanswered_log
    m = config.maintenance
    engine = command_engine(config, log_unanswered=False)
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

    config = command_config(args)
    try:
        kb = load_knowledge(config.paths.knowledge, config.paths.intents)
    except KnowledgeError as exc:
        raise broken_data(exc) from None
    if args.json:
        print(json.dumps(export_knowledge(kb, config.path.parent), ensure_ascii=False, indent=2))
    else:
        print(format_intents(kb))
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

    config = command_config(args)
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
