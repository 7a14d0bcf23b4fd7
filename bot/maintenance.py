"""Maintainers' tools: evaluate the engine on the labelled set (and, later, check and review)."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue import Conversation
from bot.engine import ANSWERED, Engine, Reply


class EvaluationSetError(Exception):
    """The evaluation files are missing or malformed."""


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    intent: str  # "" = out of scope: the bot must not answer
    kind: str = "in_scope"


@dataclass(frozen=True)
class Dialog:
    name: str
    turns: tuple[LabelledQuestion, ...]


@dataclass
class EvalReport:
    in_scope: int = 0
    in_scope_correct: int = 0
    out_of_scope: int = 0
    out_of_scope_rejected: int = 0
    hard_negatives: int = 0
    hard_negatives_rejected: int = 0
    wrong_answers: int = 0
    clarified: int = 0
    dialogs: int = 0
    dialogs_passed: int = 0
    loo_examples: int = 0
    loo_correct: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.in_scope + self.out_of_scope

    def metrics(self) -> dict[str, float]:
        """Return the headline ratios."""
        ratio = lambda a, b: round(a / b, 4) if b else 0.0  # noqa: E731
        return {
            "in_scope_accuracy": ratio(self.in_scope_correct, self.in_scope),
            "out_of_scope_rejection": ratio(self.out_of_scope_rejected, self.out_of_scope),
            "hard_negative_rejection": ratio(self.hard_negatives_rejected, self.hard_negatives),
            "wrong_answer_rate": ratio(self.wrong_answers, self.total),
            "clarify_rate": ratio(self.clarified, self.total),
            "dialog_success": ratio(self.dialogs_passed, self.dialogs),
            "leave_one_out_accuracy": ratio(self.loo_correct, self.loo_examples),
        }


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise EvaluationSetError(f"{path}: evaluation file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise EvaluationSetError(f"{path}: invalid TOML: {exc}") from None


def load_evaluation(folder: Path) -> tuple[list[LabelledQuestion], list[Dialog]]:
    """Read questions.toml and dialogs.toml from `folder`."""
    try:
        questions = [LabelledQuestion(q["text"], q.get("intent", ""), q.get("kind", "in_scope" if q.get("intent") else "unrelated"))
                     for q in _read(folder / "questions.toml").get("questions", [])]
        dialogs = [Dialog(d["name"], tuple(LabelledQuestion(t["text"], t.get("intent", "")) for t in d["turns"]))
                   for d in _read(folder / "dialogs.toml").get("dialogs", [])]
    except (KeyError, TypeError) as exc:
        raise EvaluationSetError(f"{folder}: malformed entry, missing {exc}") from None
    return questions, dialogs


def _verdict(reply: Reply, expected: str) -> bool:
    """A reply is right when it answers the expected intent, or does not answer an out-of-scope one."""
    if expected:
        return reply.status == ANSWERED and reply.intent == expected
    return reply.status != ANSWERED


def _describe(reply: Reply, expected: str) -> str:
    got = f"{reply.status} {reply.intent or ''}".strip()
    return f"expected {expected or 'no answer'}, got {got} ({reply.confidence:.2f}): {reply.question!r}"


def evaluate(engine: Engine, folder: Path, leave_one_out: bool = True) -> EvalReport:
    """Score the engine on the labelled set in `folder`."""
    questions, dialogs = load_evaluation(folder)
    report = EvalReport()
    for q in questions:
        reply = engine.reply(q.text, Conversation())
        report.statuses[reply.status] += 1
        report.clarified += reply.status == "clarify"
        ok = _verdict(reply, q.intent)
        if q.intent:
            report.in_scope += 1
            report.in_scope_correct += ok
        else:
            report.out_of_scope += 1
            report.out_of_scope_rejected += ok
            if q.kind == "hard_negative":
                report.hard_negatives += 1
                report.hard_negatives_rejected += ok
        if reply.status == ANSWERED and reply.intent != q.intent:
            report.wrong_answers += 1
        if not ok:
            report.failures.append(_describe(reply, q.intent))
    for dialog in dialogs:
        report.dialogs += 1
        conversation = Conversation()
        now = 0.0
        failed = []
        for n, turn in enumerate(dialog.turns, 1):
            now += 5.0
            reply = engine.reply(turn.text, conversation, now=now)
            if not _verdict(reply, turn.intent):
                failed.append(f"dialog {dialog.name!r} turn {n}: {_describe(reply, turn.intent)}")
        report.dialogs_passed += not failed
        report.failures.extend(failed)
    if leave_one_out:
        report.loo_examples, report.loo_correct = leave_one_out_accuracy(engine)
    return report


def leave_one_out_accuracy(engine: Engine) -> tuple[int, int]:
    """Rank each intent example against all the others; count how often its own intent wins."""
    matcher = engine.matcher
    total = correct = 0
    for row, example in enumerate(matcher.examples_):
        top = matcher.rank(example, top=1, exclude=row)
        total += 1
        correct += bool(top) and top[0].intent == matcher.intent_ids_[matcher.example_intent_[row]]
    return total, correct


def format_report(report: EvalReport) -> str:
    """Render the report for a person."""
    m = report.metrics()
    lines = [
        f"in-scope accuracy        {m['in_scope_accuracy']:.3f}  ({report.in_scope_correct}/{report.in_scope})",
        f"out-of-scope rejection   {m['out_of_scope_rejection']:.3f}  ({report.out_of_scope_rejected}/{report.out_of_scope})",
        f"  hard negatives         {m['hard_negative_rejection']:.3f}  ({report.hard_negatives_rejected}/{report.hard_negatives})",
        f"wrong answers            {m['wrong_answer_rate']:.3f}  ({report.wrong_answers}/{report.total})",
        f"clarify                  {m['clarify_rate']:.3f}  ({report.clarified}/{report.total})",
        f"dialog success           {m['dialog_success']:.3f}  ({report.dialogs_passed}/{report.dialogs})",
        f"leave-one-out (matcher)  {m['leave_one_out_accuracy']:.3f}  ({report.loo_correct}/{report.loo_examples})",
    ]
    if report.failures:
        lines += ["", f"failures ({len(report.failures)}):"] + [f"  {f}" for f in report.failures]
    return "\n".join(lines)
