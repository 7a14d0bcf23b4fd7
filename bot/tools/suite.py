"""Behavioural test suite (CheckList, Ribeiro et al., ACL 2020) generated from the data: `faqbot eval --suite`.

Three kinds of tests, each a rate measured with the real engine, one fresh conversation per question:

- minimum functionality (mft): every (subject, facet) of the data's intents, asked with the facet's
  template questions filled with the subject's name and aliases, answers that intent;
- invariance (inv): a clean question the engine answers keeps its answer (answered, same intent)
  under typo noise on 5 / 10 / 15 % of its words, a sentence of persona before it, politeness
  wrappers, and when reduced to its key words. Clean questions: answered grid questions and a
  sample of the intents' own examples;
- directional (dir): the facet swapped for one the page does not give, or the subject for one it
  does not describe, turns an answered question into a not-answered one (clarify or fallback).

Cases come from bot/tools/suite_cases.py (data + tests/suite/templates.toml + a seed).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.tools.suite_cases import (
    DEFAULT_SEED,
    Case,
    Suite,
    TestSpec,
    generate,
    load_templates,
    suite_languages,
    templates_path,
)

if TYPE_CHECKING:
    from pathlib import Path

    from bot.engine import Engine
    from bot.reply import Reply

__all__ = ["DEFAULT_SEED", "SuiteReport", "TestResult", "format_report", "report_json",
           "run", "run_suite", "suite_command"]

ANSWERED = "answered"
FAILURES_KEPT = 5  # failing cases kept per test, to show with --verbose



@dataclass
class TestResult:
    """One test's rate: `passed` of `n` cases; `skipped` cases had a clean question left unanswered."""

    spec: TestSpec
    target: float
    n: int = 0
    passed: int = 0
    skipped: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.passed / self.n if self.n else 0.0

    @property
    def meets(self) -> bool:
        return self.n > 0 and self.rate >= self.target


@dataclass
class SuiteReport:
    seed: int
    results: list[TestResult]
    replies: int
    seconds: float
    bases: dict[str, dict[str, int]]  # invariance clean questions by origin: drawn, answered
    language: str = "fr"

    def result(self, name: str) -> TestResult:
        """Return the result of the test called `name`."""
        return next(r for r in self.results if r.spec.name == name)


class _Asker:
    """Ask the engine each distinct question once, in a fresh conversation."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.replies: dict[str, Reply] = {}

    def __call__(self, text: str) -> Reply:
        if text not in self.replies:
            from bot.dialogue import Conversation

            self.replies[text] = self.engine.reply(text, Conversation())
        return self.replies[text]


def _judge(spec: TestSpec, case: Case, ask: _Asker) -> tuple[bool | None, Reply, Reply | None]:
    """Return (passed, reply, clean reply); passed is None when the clean question is not answered."""
    if spec.kind == "mft":
        got = ask(case.text)
        return got.status == ANSWERED and got.intent == case.intent, got, None
    clean = ask(case.base)
    if clean.status != ANSWERED:
        return None, clean, clean
    got = ask(case.text)
    if spec.kind == "inv":
        return got.status == ANSWERED and got.intent == clean.intent, got, clean
    return got.status != ANSWERED, got, clean


def _failure(case: Case, got: Reply, clean: Reply | None) -> dict[str, Any]:
    expected = case.intent or (clean.intent if clean is not None and case.test.startswith("inv.") else "not answered")
    failure = {"question": case.text, "status": got.status, "intent": got.intent, "expected": expected,
               "origin": case.origin}
    if case.base:
        failure["clean"] = case.base
    return failure


def run(engine: Engine, suite: Suite, failures_kept: int = FAILURES_KEPT) -> SuiteReport:
    """Ask the engine every case of `suite` and measure each test's rate."""
    started = time.perf_counter()
    ask = _Asker(engine)
    results: list[TestResult] = []
    for spec in suite.tests:
        result = TestResult(spec, suite.targets[spec.kind])
        for case in suite.cases.get(spec.name, []):
            passed, got, clean = _judge(spec, case, ask)
            if passed is None:
                result.skipped += 1
                continue
            result.n += 1
            result.passed += passed
            if not passed and len(result.failures) < failures_kept:
                result.failures.append(_failure(case, got, clean))
        results.append(result)
    bases = {case.base: case.origin for spec in suite.tests if spec.kind == "inv" for case in suite.cases[spec.name]}
    drawn = Counter(bases.values())
    answered = Counter(origin for base, origin in bases.items() if ask(base).status == ANSWERED)
    return SuiteReport(suite.seed, results, len(ask.replies), time.perf_counter() - started,
                       {origin: {"drawn": drawn[origin], "answered": answered[origin]} for origin in sorted(drawn)},
                       suite.language)


def run_suite(engine: Engine, seed: int = DEFAULT_SEED, templates: Path | None = None) -> SuiteReport:
    """Generate the suite from the engine's data and the templates (the French ones by default), and run it."""
    data = load_templates(templates or templates_path(engine.config))
    kept = data.get("sizes", {}).get("failures_kept", FAILURES_KEPT)
    return run(engine, generate(engine.kb, data, seed), kept)


# -- output ----------------------------------------------------------------------------------------------

def format_report(report: SuiteReport, verbose: bool = False) -> str:
    """Return the table of tests (n, rate, target), with failing examples when `verbose`."""
    b = report.bases
    language = _LANGUAGE_NAMES.get(report.language, report.language)
    lines = [f"Behavioural suite ({language}), seed {report.seed}: {report.replies} replies in {report.seconds:.1f} s",
             "Invariance base: clean questions the engine answers, "
             + " + ".join(f"{v['answered']} {_ORIGINS.get(k, k)} (of {v['drawn']} drawn)" for k, v in b.items()),
             "", f"{'test':<16} {'n':>5} {'rate':>6} {'target':>7}  {'':<5} what", "-" * 100]
    for r in report.results:
        verdict = "ok" if r.meets else "BELOW"
        lines.append(f"{r.spec.name:<16} {r.n:>5} {r.rate:>6.3f} {r.target:>7.2f}  {verdict:<5} {r.spec.description}")
    if verbose:
        for r in report.results:
            if r.failures:
                lines += ["", f"{r.spec.name}: {r.n - r.passed} failing of {r.n}, for example:"]
                lines += [f"  « {f['question']} » -> {f['status']} {f['intent'] or ''} (expected {f['expected']}"
                          + (f"; clean « {f['clean']} »" if "clean" in f else "") + ")" for f in r.failures]
    else:
        lines += ["", "Failing examples: --verbose"]
    return "\n".join(lines)


_ORIGINS = {"template": "grid template questions", "example": "intents' examples"}
_LANGUAGE_NAMES = {"fr": "French", "en": "English", "ar": "Arabic"}


def report_json(report: SuiteReport) -> dict[str, Any]:
    """Return the report as a JSON-ready dict (`faqbot eval --suite --json`)."""
    return {
        "seed": report.seed, "language": report.language, "replies": report.replies,
        "seconds": round(report.seconds, 2),
        "invariance_bases": report.bases,
        "tests": [{"name": r.spec.name, "kind": r.spec.kind, "description": r.spec.description, "n": r.n,
                   "passed": r.passed, "rate": round(r.rate, 4), "target": r.target, "meets_target": r.meets,
                   "skipped": r.skipped, "failures": r.failures} for r in report.results],
    }


def suite_command(engine: Engine, seed: int | None = None, verbose: bool = False, as_json: bool = False,
                  language: str = "fr") -> int:
    """Run the suite in `language` and print its report (`faqbot eval --suite`); return 0, or 1 without templates."""
    path = templates_path(engine.config, language)
    if not path.is_file():
        known = ", ".join(suite_languages(engine.config)) or "none"
        print(f"error: the suite's templates file {path} is missing (templates found for: {known})", file=sys.stderr)
        return 1
    report = run_suite(engine, DEFAULT_SEED if seed is None else seed, path)
    if as_json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, verbose))
    return 0
