"""`faqbot eval`: score the engine on a labelled set of questions and dialogs."""

from __future__ import annotations

import difflib
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue import Conversation
from bot.engine import ANSWERED, Engine
from bot.reply import Reply

OUT_OF_SCOPE = "(out of scope)"
TURN_SECONDS = 5.0  # time between two turns of an evaluation dialog (well within the context's lifetime)
CONFUSIONS_SHOWN = 10  # most confused pairs of intents reported


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


@dataclass(frozen=True)
class Ranked:
    """One candidate as the engine ranked it: enough to re-decide under other thresholds."""

    intent: str
    score: float
    passed: bool  # the key-term guard let it answer


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one labelled question (single questions, no conversation)."""

    text: str
    expected: str
    kind: str
    status: str
    intent: str | None
    confidence: float
    candidates: tuple[Ranked, ...]

    @property
    def correct(self) -> bool:
        return _right(self.status, self.intent, self.expected)


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
    not_answered: int = 0  # clarify and fallback replies, questions and dialog turns
    dialogs: int = 0
    dialogs_passed: int = 0
    loo_examples: int = 0
    loo_correct: int = 0
    failures: list[str] = field(default_factory=list)
    unlabelled: list[str] = field(default_factory=list)  # intents no labelled question expects
    statuses: Counter[str] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.in_scope + self.out_of_scope

    def metrics(self) -> dict[str, float]:
        """Return the headline ratios."""
        return {
            "in_scope_accuracy": ratio(self.in_scope_correct, self.in_scope),
            "out_of_scope_rejection": ratio(self.out_of_scope_rejected, self.out_of_scope),
            "hard_negative_rejection": ratio(self.hard_negatives_rejected, self.hard_negatives),
            "wrong_answer_rate": ratio(self.wrong_answers, self.total),
            "clarify_rate": ratio(self.clarified, self.total),
            "dialog_success": ratio(self.dialogs_passed, self.dialogs),
            "leave_one_out_accuracy": ratio(self.loo_correct, self.loo_examples),
        }


def ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


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
        questions = [LabelledQuestion(q["text"], q.get("intent", ""),
                                      q.get("kind", "in_scope" if q.get("intent") else "unrelated"))
                     for q in _read(folder / "questions.toml").get("questions", [])]
        dialogs = [Dialog(d["name"], tuple(LabelledQuestion(t["text"], t.get("intent", "")) for t in d["turns"]))
                   for d in _read(folder / "dialogs.toml").get("dialogs", [])]
    except (KeyError, TypeError) as exc:
        raise EvaluationSetError(f"{folder}: malformed entry, missing {exc}") from None
    return questions, dialogs


def check_labels(folder: Path, questions: list[LabelledQuestion], dialogs: list[Dialog],
                 intents: Iterable[str]) -> None:
    """Raise EvaluationSetError listing every label that names no intent of the data (a typo is no wrong answer)."""
    known = list(intents)
    where = [(folder / "questions.toml", f"question {q.text!r}", q.intent) for q in questions]
    where += [(folder / "dialogs.toml", f"dialog {d.name!r} turn {n}", t.intent)
              for d in dialogs for n, t in enumerate(d.turns, 1)]
    problems = []
    for path, item, intent in where:
        if intent and intent not in known:
            close = difflib.get_close_matches(intent, known, n=1)
            hint = f"did you mean {close[0]}?" if close else "see `faqbot intents`"
            problems.append(f"{path}: {item}: intent {intent!r} is not an intent of the data; {hint}")
    if problems:
        raise EvaluationSetError(f"{len(problems)} label(s) name no intent:\n" + "\n".join(problems))


def _right(status: str, intent: str | None, expected: str) -> bool:
    """A reply is right when it answers the expected intent, or does not answer an out-of-scope one."""
    if expected:
        return status == ANSWERED and intent == expected
    return status != ANSWERED


def _describe(reply: Reply, expected: str) -> str:
    got = f"{reply.status} {reply.intent or ''}".strip()
    return f"expected {expected or 'no answer'}, got {got} ({reply.confidence:.2f}): {reply.question!r}"


def _outcome(q: LabelledQuestion, reply: Reply) -> Outcome:
    # `passed`: the candidate may be decided on (the guard does not veto it), as bot.decision.decide sees it.
    ranked = tuple(Ranked(c.intent, float(c.score), not c.guard.vetoed) for c in reply.explanation.candidates)
    return Outcome(q.text, q.intent, q.kind, reply.status, reply.intent, reply.confidence, ranked)


def evaluate(engine: Engine, folder: Path, leave_one_out: bool = True, channel: str = "eval") -> EvalReport:
    """Score the engine on the labelled set in `folder`.

    Clarify and fallback replies go to the engine's unanswered log (if it keeps one), tagged `channel`.
    """
    questions, dialogs = load_evaluation(folder)
    check_labels(folder, questions, dialogs, engine.kb.intents)
    report = EvalReport()
    labelled = {q.intent for q in questions} | {t.intent for d in dialogs for t in d.turns}
    report.unlabelled = sorted(set(engine.kb.intents) - labelled)
    for q in questions:
        reply = engine.reply(q.text, Conversation(), channel=channel)
        outcome = _outcome(q, reply)
        report.outcomes.append(outcome)
        report.statuses[reply.status] += 1
        report.clarified += reply.status == "clarify"
        report.not_answered += reply.status != ANSWERED
        ok = outcome.correct
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
            now += TURN_SECONDS
            reply = engine.reply(turn.text, conversation, now=now, channel=channel)
            report.not_answered += reply.status != ANSWERED
            if not _right(reply.status, reply.intent, turn.intent):
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


# -- per-intent scores and confusions ---------------------------------------------------------
@dataclass(frozen=True)
class IntentScore:
    intent: str
    support: int  # labelled questions expecting this intent
    answered: int  # questions the engine answered with this intent
    correct: int

    @property
    def precision(self) -> float | None:
        return round(self.correct / self.answered, 4) if self.answered else None

    @property
    def recall(self) -> float:
        return ratio(self.correct, self.support)


def per_intent(outcomes: Iterable[Outcome]) -> list[IntentScore]:
    """Return precision and recall of every intent seen in the labels or the answers, worst recall first."""
    support: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for o in outcomes:
        if o.expected:
            support[o.expected] += 1
        if o.status == ANSWERED and o.intent:
            answered[o.intent] += 1
            correct[o.intent] += o.intent == o.expected
    names = set(support) | set(answered)
    scores = [IntentScore(n, support[n], answered[n], correct[n]) for n in names]
    return sorted(scores, key=lambda s: (s.recall if s.support else 1.0, s.precision or 0.0, s.intent))


@dataclass(frozen=True)
class Confusion:
    expected: str  # an intent, or OUT_OF_SCOPE
    got: str  # the intent ranked first instead
    count: int  # questions where `got` was ranked first
    answered: int  # ... and the engine answered it (a wrong answer)
    example: str


def confusions(outcomes: Iterable[Outcome], top: int = CONFUSIONS_SHOWN) -> list[Confusion]:
    """Return the pairs (expected, ranked first instead) that occur most, wrong answers first."""
    counts: Counter[tuple[str, str]] = Counter()
    wrong: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    for o in outcomes:
        first = o.candidates[0].intent if o.candidates else None
        answered_wrong = o.status == ANSWERED and o.intent != o.expected
        got = o.intent if answered_wrong else first
        if got is None or got == o.expected or (not o.expected and not answered_wrong):
            continue  # a rejected out-of-scope question is not a confusion
        pair = (o.expected or OUT_OF_SCOPE, got)
        counts[pair] += 1
        wrong[pair] += answered_wrong
        examples.setdefault(pair, o.text)
    ranked = sorted(counts, key=lambda p: (-wrong[p], -counts[p], p))
    return [Confusion(e, g, counts[(e, g)], wrong[(e, g)], examples[(e, g)]) for e, g in ranked[:top]]


def headline(report: EvalReport) -> list[str]:
    """Return the headline figures of a report, one per line."""
    r, m = report, report.metrics()
    lines = [
        f"in-scope accuracy        {m['in_scope_accuracy']:.3f}  ({r.in_scope_correct}/{r.in_scope})",
        f"out-of-scope rejection   {m['out_of_scope_rejection']:.3f}  ({r.out_of_scope_rejected}/{r.out_of_scope})",
        f"  hard negatives         {m['hard_negative_rejection']:.3f}  "
        f"({r.hard_negatives_rejected}/{r.hard_negatives})",
        f"wrong answers            {m['wrong_answer_rate']:.3f}  ({r.wrong_answers}/{r.total})",
        f"clarify                  {m['clarify_rate']:.3f}  ({r.clarified}/{r.total})",
        f"dialog success           {m['dialog_success']:.3f}  ({r.dialogs_passed}/{r.dialogs})",
        f"leave-one-out (matcher)  {m['leave_one_out_accuracy']:.3f}  ({r.loo_correct}/{r.loo_examples})",
    ]
    # A set without hard negatives or dialogs, or a run without leave-one-out, has no such figure:
    # "0.000 (0/0)" would read as a failure.
    optional = ("hard", "dialog", "leave")
    lines = [line for line in lines if not (line.endswith("(0/0)") and line.lstrip().startswith(optional))]
    if r.unlabelled:
        lines.append(f"not measured: {len(r.unlabelled)} intent(s) without a labelled question: "
                     + ", ".join(r.unlabelled))
    return lines
