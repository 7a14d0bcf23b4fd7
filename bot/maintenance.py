"""Maintainers' tools: evaluate and tune the engine, review unanswered questions, list and explain.

`faqbot check` lives in bot/checks.py (it must not import the engine).
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.config import Config, DecisionSettings
from bot.dialogue import Conversation
from bot.engine import ANSWERED, Engine, Reply
from bot.knowledge import KnowledgeBase
from bot.text import content_tokens

OUT_OF_SCOPE = "(out of scope)"


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
    statuses: Counter[str] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.in_scope + self.out_of_scope

    def metrics(self) -> dict[str, float]:
        """Return the headline ratios."""
        return {
            "in_scope_accuracy": _ratio(self.in_scope_correct, self.in_scope),
            "out_of_scope_rejection": _ratio(self.out_of_scope_rejected, self.out_of_scope),
            "hard_negative_rejection": _ratio(self.hard_negatives_rejected, self.hard_negatives),
            "wrong_answer_rate": _ratio(self.wrong_answers, self.total),
            "clarify_rate": _ratio(self.clarified, self.total),
            "dialog_success": _ratio(self.dialogs_passed, self.dialogs),
            "leave_one_out_accuracy": _ratio(self.loo_correct, self.loo_examples),
        }


def _ratio(a: float, b: float) -> float:
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


def _right(status: str, intent: str | None, expected: str) -> bool:
    """A reply is right when it answers the expected intent, or does not answer an out-of-scope one."""
    if expected:
        return status == ANSWERED and intent == expected
    return status != ANSWERED


def _describe(reply: Reply, expected: str) -> str:
    got = f"{reply.status} {reply.intent or ''}".strip()
    return f"expected {expected or 'no answer'}, got {got} ({reply.confidence:.2f}): {reply.question!r}"


def _outcome(q: LabelledQuestion, reply: Reply) -> Outcome:
    ranked = tuple(Ranked(c["intent"], float(c["score"]), bool(c.get("guard", {}).get("passed", True)))
                   for c in reply.explanation.get("candidates", []))
    return Outcome(q.text, q.intent, q.kind, reply.status, reply.intent, reply.confidence, ranked)


def evaluate(engine: Engine, folder: Path, leave_one_out: bool = True, channel: str = "eval") -> EvalReport:
    """Score the engine on the labelled set in `folder`.

    Clarify and fallback replies go to the engine's unanswered log (if it keeps one), tagged `channel`.
    """
    questions, dialogs = load_evaluation(folder)
    report = EvalReport()
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
            now += 5.0
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
        return _ratio(self.correct, self.support)


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


def confusions(outcomes: Iterable[Outcome], top: int = 10) -> list[Confusion]:
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


# -- threshold sweep ---------------------------------------------------------------------------
THRESHOLDS = tuple(round(0.30 + 0.01 * i, 2) for i in range(66))  # 0.30 .. 0.95
MARGINS = (0.0, 0.02, 0.04, 0.05, 0.06, 0.08, 0.10, 0.12, 0.15)


@dataclass(frozen=True)
class SweepPoint:
    answer_threshold: float
    margin: float
    answered: int
    correct: int  # answers giving the expected intent
    total: int  # in-scope and out-of-scope questions

    @property
    def coverage(self) -> float:
        """Share of all questions answered."""
        return _ratio(self.answered, self.total)

    @property
    def precision(self) -> float:
        """Share of the answers that are right (1.0 when nothing is answered)."""
        return _ratio(self.correct, self.answered) if self.answered else 1.0

    def to_json(self) -> dict[str, float | int]:
        return {**asdict(self), "coverage": self.coverage, "precision": self.precision}


def redecide(outcome: Outcome, answer_threshold: float, margin: float) -> str | None:
    """Return the intent the engine would answer under these thresholds, or None.

    Mirrors Engine._match: guard-refused candidates are dropped, then the best one is answered
    when it reaches the threshold with the margin over the runner-up.
    """
    allowed = [c for c in outcome.candidates if c.passed]
    if not allowed:
        return None
    best, runner_up = allowed[0].score, allowed[1].score if len(allowed) > 1 else 0.0
    return allowed[0].intent if best >= answer_threshold and best - runner_up >= margin else None


def sweep_point(outcomes: list[Outcome], answer_threshold: float, margin: float) -> SweepPoint:
    """Return coverage and precision of one setting, re-deciding from the recorded candidates."""
    answered = correct = 0
    for o in outcomes:
        intent = redecide(o, answer_threshold, margin)
        if intent is not None:
            answered += 1
            correct += intent == o.expected
    return SweepPoint(answer_threshold, margin, answered, correct, len(outcomes))


def sweep(outcomes: list[Outcome], thresholds: Iterable[float] = THRESHOLDS,
          margins: Iterable[float] = MARGINS) -> list[SweepPoint]:
    """Return a point for every (margin, threshold) pair; the engine is not run again."""
    return [sweep_point(outcomes, t, m) for m in sorted(set(margins)) for t in sorted(set(thresholds))]


def recommend(points: list[SweepPoint], target: float) -> SweepPoint | None:
    """Return the setting reaching `target` precision with the highest coverage.

    Ties (same coverage and precision) are broken towards the middle of the longest run of
    tied thresholds, the setting farthest from where the result changes.
    """
    good = [p for p in points if p.precision >= target and p.answered]
    if not good:
        return None
    best = max((p.coverage, p.precision) for p in good)
    tied = {(p.margin, p.answer_threshold) for p in good if (p.coverage, p.precision) == best}
    runs: list[list[SweepPoint]] = []
    for p in sorted(points, key=lambda p: (p.margin, p.answer_threshold)):
        if (p.margin, p.answer_threshold) not in tied:
            continue
        if runs and runs[-1][-1].margin == p.margin and _next_threshold(runs[-1][-1], points) == p.answer_threshold:
            runs[-1].append(p)
        else:
            runs.append([p])
    longest = max(runs, key=lambda r: (len(r), r[0].margin))
    return longest[(len(longest) - 1) // 2]


def _next_threshold(point: SweepPoint, points: list[SweepPoint]) -> float | None:
    higher = [p.answer_threshold for p in points
              if p.margin == point.margin and p.answer_threshold > point.answer_threshold]
    return min(higher, default=None)


@dataclass
class Analysis:
    """What `faqbot eval` derives from the recorded outcomes."""

    per_intent: list[IntentScore]
    confusions: list[Confusion]
    points: list[SweepPoint]
    current: SweepPoint
    recommended: SweepPoint | None
    target_precision: float
    mismatches: list[str]  # questions where re-deciding disagrees with the engine at the current setting
    verified: EvalReport | None = None  # the engine run again at the recommended setting


def analyse(report: EvalReport, decision: DecisionSettings, target_precision: float) -> Analysis:
    """Compute per-intent scores, confusions and the threshold sweep from an evaluation report."""
    outcomes = report.outcomes
    points = sweep(outcomes, THRESHOLDS + (decision.answer_threshold,), MARGINS + (decision.margin,))
    current = sweep_point(outcomes, decision.answer_threshold, decision.margin)
    mismatches = [o.text for o in outcomes if redecide(o, decision.answer_threshold, decision.margin)
                  != (o.intent if o.status == ANSWERED else None)]
    return Analysis(per_intent(outcomes), confusions(outcomes), points, current,
                    recommend(points, target_precision), target_precision, mismatches)


def tune(config: Config, report: EvalReport, folder: Path) -> Analysis:
    """Analyse the report; when the recommended thresholds differ, run the engine again with them.

    The sweep re-decides from recorded candidates (fast, single questions only); the check run
    also covers the dialogs, whose follow-ups use answer_threshold too.
    """
    analysis = analyse(report, config.decision, config.maintenance.target_precision)
    r = analysis.recommended
    if r is not None and (r.answer_threshold, r.margin) != (config.decision.answer_threshold, config.decision.margin):
        decision = replace(config.decision, answer_threshold=r.answer_threshold, margin=r.margin)
        engine = Engine(replace(config, decision=decision), log_unanswered=False)
        analysis.verified = evaluate(engine, folder, leave_one_out=False)
    return analysis


def plot_sweep(analysis: Analysis, path: Path) -> None:
    """Draw precision against coverage, one line per margin; raise ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    by_margin: dict[float, list[SweepPoint]] = defaultdict(list)
    for p in analysis.points:
        by_margin[p.margin].append(p)
    for margin, pts in sorted(by_margin.items()):
        pts.sort(key=lambda p: p.answer_threshold)
        ax.plot([p.coverage for p in pts], [p.precision for p in pts], marker=".", linewidth=1,
                label=f"margin {margin:g}")
    ax.axhline(analysis.target_precision, color="grey", linestyle="--", linewidth=1, label="target precision")
    marks = [("current", analysis.current, "o")]
    if analysis.recommended:
        marks.append(("recommended", analysis.recommended, "*"))
    for name, p, marker in marks:
        ax.scatter([p.coverage], [p.precision], s=160, marker=marker, zorder=5, edgecolors="black",
                   label=f"{name}: threshold {p.answer_threshold:g}, margin {p.margin:g}")
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("precision (share of answers that are right)")
    ax.set_title("faqbot eval: answer_threshold sweep")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -- rendering the evaluation -------------------------------------------------------------------
def format_report(report: EvalReport, analysis: Analysis | None = None) -> str:
    """Render the report (and its analysis, if given) for a person."""
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
    if analysis is not None:
        lines += _format_analysis(analysis)
    if report.failures:
        lines += ["", f"failures ({len(report.failures)}):"] + [f"  {f}" for f in report.failures]
    return "\n".join(lines)


def _format_analysis(a: Analysis) -> list[str]:
    lines = ["", "per intent (worst recall first; precision '-' = never answered):",
             f"  {'intent':34} {'recall':>7} {'precision':>9} {'labelled':>8} {'answered':>8}"]
    for s in a.per_intent:
        precision = f"{s.precision:.2f}" if s.precision is not None else "-"
        recall = f"{s.recall:.2f}" if s.support else "-"
        lines.append(f"  {s.intent:34} {recall:>7} {precision:>9} {s.support:>8} {s.answered:>8}")
    if a.confusions:
        lines += ["", "most confused pairs (expected -> ranked first instead):"]
        lines += [f"  {c.expected} -> {c.got}: {c.count}x ({c.answered} wrong answer(s)), e.g. {c.example!r}"
                  for c in a.confusions]
    lines += ["", *format_sweep(a)]
    return lines


def format_sweep(a: Analysis) -> list[str]:
    """Render the sweep: a table at the recommended margin, then the current and recommended settings."""
    margin = a.recommended.margin if a.recommended else a.current.margin
    shown = [p for p in a.points if p.margin == margin and round(p.answer_threshold * 100) % 5 == 0]
    marks = {(a.current.answer_threshold, a.current.margin): "current"}
    if a.recommended:
        marks[(a.recommended.answer_threshold, a.recommended.margin)] = "recommended"
        shown += [a.recommended]
    if a.current.margin == margin:
        shown += [a.current]
    shown = sorted(set(shown), key=lambda p: p.answer_threshold)
    lines = [f"threshold sweep (margin {margin:g}; coverage = answered / all {a.current.total} questions, "
             "precision = right answers / answered):",
             f"  {'answer_threshold':>16} {'coverage':>9} {'precision':>9} {'answered':>8} {'wrong':>6}"]
    for p in shown:
        mark = marks.get((p.answer_threshold, p.margin), "")
        lines.append(f"  {p.answer_threshold:>16.2f} {p.coverage:>9.3f} {p.precision:>9.3f} {p.answered:>8} "
                     f"{p.answered - p.correct:>6}  {mark}".rstrip())
    lines.append("best coverage at the target precision, by margin: " + ", ".join(
        f"{m:g}: {p.coverage:.3f}" if p else f"{m:g}: -" for m, p in _best_by_margin(a).items()))
    c = a.current
    lines.append(f"current     answer_threshold = {c.answer_threshold:g}, margin = {c.margin:g}: "
                 f"coverage {c.coverage:.3f}, precision {c.precision:.3f}")
    if a.recommended:
        r = a.recommended
        lines.append(f"recommended answer_threshold = {r.answer_threshold:g}, margin = {r.margin:g}: coverage "
                     f"{r.coverage:.3f}, precision {r.precision:.3f} (target {a.target_precision:g}; set them in "
                     "config.toml [decision])")
    else:
        best = max(a.points, key=lambda p: (p.precision, p.coverage))
        lines.append(f"no setting reaches the target precision {a.target_precision:g}; the most precise is "
                     f"answer_threshold = {best.answer_threshold:g}, margin = {best.margin:g} "
                     f"(precision {best.precision:.3f}, coverage {best.coverage:.3f}): improve the data first")
    if a.verified is not None:
        v = a.verified.metrics()
        lines.append(f"  checked by running the engine at the recommended setting: in-scope accuracy "
                     f"{v['in_scope_accuracy']:.3f}, wrong answers {a.verified.wrong_answers}, "
                     f"dialog success {v['dialog_success']:.3f}")
    if a.mismatches:
        lines.append(f"note: re-deciding disagrees with the engine on {len(a.mismatches)} question(s) at the current "
                     f"setting (another rule decided them), e.g. {a.mismatches[0]!r}")
    return lines


def _best_by_margin(a: Analysis) -> dict[float, SweepPoint | None]:
    best: dict[float, SweepPoint | None] = {}
    for p in a.points:
        best.setdefault(p.margin, None)
        if p.precision >= a.target_precision and p.answered:
            current = best[p.margin]
            if current is None or p.coverage > current.coverage:
                best[p.margin] = p
    return best


def analysis_json(report: EvalReport, a: Analysis) -> dict[str, Any]:
    """Return the `faqbot eval --json` object."""
    return {
        "metrics": report.metrics(),
        "per_intent": [{"intent": s.intent, "precision": s.precision, "recall": s.recall if s.support else None,
                        "labelled": s.support, "answered": s.answered, "correct": s.correct} for s in a.per_intent],
        "confusions": [asdict(c) for c in a.confusions],
        "sweep": {
            "target_precision": a.target_precision,
            "current": a.current.to_json(),
            "recommended": a.recommended.to_json() if a.recommended else None,
            "verified": a.verified.metrics() if a.verified else None,
            "mismatches": a.mismatches,
            "points": [p.to_json() for p in a.points],
        },
        "failures": report.failures,
    }


# -- review of the unanswered log ----------------------------------------------------------------
@dataclass
class ReviewGroup:
    """Similar unanswered questions, with what the data could do about them."""

    questions: list[tuple[str, int]]  # (question as asked, times), most asked first
    count: int
    nearest: str | None  # the intent ranked first for most of the questions
    score: float  # its mean confidence over them
    action: str  # "add_examples" | "new_intent" | "answered_now"
    statuses: Counter[str] = field(default_factory=Counter)
    last_seen: str = ""
    missing: list[str] = field(default_factory=list)  # key terms of the questions the nearest intent lacks

    @property
    def suggestion(self) -> str:
        if self.action == "answered_now":
            return (f"answered as {self.nearest} when asked alone now: check the answer is right "
                    "(a follow-up may have lacked its context)")
        if self.action == "add_examples":
            return f"add these as examples of intent {self.nearest} (if its answer answers them)"
        lacks = f"; {self.nearest} lacks the words {', '.join(self.missing)}" if self.nearest and self.missing else ""
        return f"new intent, if the source document answers it{lacks}"

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "questions": [{"text": t, "count": n} for t, n in self.questions],
                "nearest_intent": self.nearest, "score": round(self.score, 3), "action": self.action,
                "suggestion": self.suggestion, "missing_terms": self.missing, "statuses": dict(self.statuses),
                "last_seen": self.last_seen}


@dataclass
class _Question:
    text: str
    normalized: str
    count: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    last_seen: str = ""
    variants: Counter[str] = field(default_factory=Counter)


MAX_REVIEWED = 2000  # distinct questions grouped (most asked first): keeps review quadratic but small
_STEM = 5
_SUBJECT_WEIGHT = 0.35  # "DCI", "Nouakchott": shared by many questions, they say little about what is asked


def _features(normalized: str) -> set[str]:
    """Return a question's key terms and their stems ("dirige", "dirig*")."""
    tokens = content_tokens(normalized)
    return set(tokens) | {t[:_STEM] + "*" for t in tokens if len(t) > _STEM}


def _question_vectors(questions: list[_Question], kb: KnowledgeBase) -> Any:
    """Return L2-normalised TF-IDF rows of key terms; IDF counts the intents' examples too."""
    import numpy as np
    from scipy.sparse import csr_matrix

    docs = [_features(kb.normalize(e)) for i in kb.intents.values() for e in i.examples]
    rows = [_features(q.normalized) for q in questions]
    df = Counter(f for d in docs + rows for f in d)
    n = len(docs) + len(rows)
    subject_words = {w for s in kb.subjects.values() for alias in s.aliases for w in alias.split()}
    subject_words |= {w[:_STEM] + "*" for w in subject_words if len(w) > _STEM}
    vocab: dict[str, int] = {}
    data, cols, indptr = [], [], [0]
    for feats in rows:
        weights = {f: (math.log((1 + n) / (1 + df[f])) + 1) * (_SUBJECT_WEIGHT if f in subject_words else 1.0)
                   for f in feats}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for f, w in weights.items():
            cols.append(vocab.setdefault(f, len(vocab)))
            data.append(w / norm)
        indptr.append(len(cols))
    return csr_matrix((np.asarray(data, dtype=np.float64), cols, indptr), shape=(len(rows), max(len(vocab), 1)))


def group_questions(entries: Iterable[dict[str, Any]], kb: KnowledgeBase,
                    bound: float = 0.5) -> list[list[_Question]]:
    """Group similar questions: the same question once normalised, then by shared key terms.

    Greedy average link: each distinct question (most asked first) joins the group whose
    members it resembles most on average (TF-IDF cosine of key terms) if that reaches `bound`.
    """
    import numpy as np

    unique: dict[str, _Question] = {}
    for entry in entries:
        text = str(entry.get("question", "")).strip()
        if not text:
            continue
        normalized = kb.normalize(text)
        q = unique.setdefault(normalized, _Question(text, normalized))
        q.count += 1
        q.variants[text] += 1
        q.statuses[str(entry.get("status", "?"))] += 1
        q.last_seen = max(q.last_seen, str(entry.get("time", "")))
    questions = sorted(unique.values(), key=lambda q: (-q.count, q.last_seen, q.normalized))[:MAX_REVIEWED]
    if not questions:
        return []
    for q in questions:
        q.text = q.variants.most_common(1)[0][0]
    vectors = _question_vectors(questions, kb)
    similarity = (vectors @ vectors.T).toarray()
    labels = np.full(len(questions), -1)
    sizes: list[int] = []
    for i in range(len(questions)):
        if sizes:
            means = np.bincount(labels[:i], weights=similarity[i, :i], minlength=len(sizes)) / np.asarray(sizes)
            best = int(np.argmax(means))
            if means[best] >= bound:
                labels[i] = best
                sizes[best] += 1
                continue
        labels[i] = len(sizes)
        sizes.append(1)
    groups: list[list[_Question]] = [[] for _ in sizes]
    for q, label in zip(questions, labels, strict=True):
        groups[label].append(q)
    return groups


def _fits(candidate: dict[str, Any], d: DecisionSettings) -> bool:
    """Tell whether a question probably belongs to its nearest intent, which lacks examples like it.

    It does when the key-term guard accepts the intent and the score is high enough to offer it.
    """
    return bool(candidate.get("guard", {}).get("passed")) and candidate["score"] >= d.clarify_threshold


def review(engine: Engine, entries: Iterable[dict[str, Any]], bound: float = 0.5) -> list[ReviewGroup]:
    """Group the logged questions, most asked first, with the nearest intent and a suggestion.

    The questions are asked again to find their nearest intent in the current data, through a
    copy of the engine that logs nothing: reviewing the log must not grow it.
    """
    engine = copy.copy(engine)
    engine.unanswered = None
    d = engine.config.decision
    result = []
    for members in group_questions(entries, engine.kb, bound):
        tops: list[tuple[str | None, float, bool, int]] = []  # (intent, score, fit to answer, times)
        uncovered: list[tuple[str, tuple[str, ...]]] = []  # (top intent, its uncovered key terms)
        answered = 0
        for q in members:
            reply = engine.reply(q.text, Conversation(), channel="review")
            answered += (reply.status == ANSWERED) * q.count
            top = (reply.explanation.get("candidates") or [None])[0]
            if top is None:
                tops.append((None, 0.0, False, q.count))
            else:
                tops.append((top["intent"], float(top["score"]), _fits(top, d), q.count))
                uncovered.append((top["intent"], tuple(top.get("guard", {}).get("uncovered", ()))))
        count = sum(q.count for q in members)
        votes: Counter[str] = Counter()
        for intent, _, _, times in tops:
            if intent:
                votes[intent] += times
        nearest = votes.most_common(1)[0][0] if votes else None
        scores = [score for intent, score, _, _ in tops if intent == nearest]
        missing = Counter(t for intent, terms in uncovered if intent == nearest for t in terms)
        fit = sum(times for intent, _, ok, times in tops if intent == nearest and ok)
        if answered * 2 > count:
            action = "answered_now"
        elif fit * 2 > count:
            action = "add_examples"
        else:
            action = "new_intent"
        statuses: Counter[str] = Counter()
        for q in members:
            statuses.update(q.statuses)
        result.append(ReviewGroup([(q.text, q.count) for q in members], count, nearest,
                                  sum(scores) / len(scores) if scores else 0.0, action, statuses,
                                  max(q.last_seen for q in members), [t for t, _ in missing.most_common(5)]))
    return sorted(result, key=lambda g: (-g.count, -len(g.questions), g.questions[0][0]))


def format_review(groups: list[ReviewGroup], total: int, source: str, limit: int | None = None) -> str:
    """Render the review for a person: groups by frequency, their questions and a suggestion."""
    if not groups:
        return f"no unanswered questions in {source}"
    shown = groups[:limit] if limit else groups
    lines = [f"{total} unanswered question(s) in {len(groups)} group(s), most asked first ({source}):"]
    for n, g in enumerate(shown, 1):
        near = f"nearest {g.nearest} ({g.score:.2f})" if g.nearest else "no similar intent"
        lines += ["", f"{n}. {g.count}x, {near}: {g.suggestion}"]
        lines += [f"     {text}" + (f"  ({times}x)" if times > 1 else "") for text, times in g.questions[:8]]
        if len(g.questions) > 8:
            lines.append(f"     ... and {len(g.questions) - 8} more")
    if len(shown) < len(groups):
        lines += ["", f"({len(groups) - len(shown)} more group(s); use --limit 0 to see all)"]
    return "\n".join(lines)


# -- intents and explanations ------------------------------------------------------------------
def format_intents(kb: KnowledgeBase) -> str:
    """List the intents: id, topic, number of examples, answer title."""
    rows = [(i.id, i.topic, str(len(i.examples)), kb.answers[i.answer].title if i.answer in kb.answers else "?")
            for i in sorted(kb.intents.values(), key=lambda i: (i.topic, i.id))]
    width = max(len(r[0]) for r in rows)
    topic_width = max(len(r[1]) for r in rows)
    lines = [f"{'intent':{width}}  {'topic':{topic_width}}  examples  answer title"]
    lines += [f"{i:{width}}  {t:{topic_width}}  {n:>8}  {title}" for i, t, n, title in rows]
    examples = sum(len(i.examples) for i in kb.intents.values())
    lines.append(f"\n{len(kb.intents)} intents, {len(kb.answers)} answers, {examples} examples, "
                 f"{len(kb.topics)} topics")
    return "\n".join(lines)


def export_knowledge(kb: KnowledgeBase, base: Path | None = None) -> dict[str, Any]:
    """Return the whole knowledge base as JSON-ready data (`faqbot intents --json`)."""

    def rel(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(base.resolve())) if base else str(path)
        except ValueError:
            return str(path)

    return {
        "topics": [{"id": t.id, "title": t.title, "answers": list(t.answers)} for t in kb.topics],
        "intents": [{"id": i.id, "topic": i.topic, "answer": i.answer, "subject": i.subject, "facet": i.facet,
                     "examples": list(i.examples), "path": rel(i.path)} for i in kb.intents.values()],
        "answers": [{"id": a.id, "title": a.title, "text": a.text, "source": a.source, "as_of": a.as_of,
                     "topic": a.topic, "path": rel(a.path)} for a in kb.answers.values()],
        "subjects": {s.id: {"name": s.name, "aliases": list(s.aliases), "described": s.described,
                            "part_of": s.part_of} for s in kb.subjects.values()},
        "facets": {k: list(v) for k, v in kb.facets.items()},
        "acronyms": dict(kb.acronyms),
    }


def format_explanation(reply: Reply, kb: KnowledgeBase) -> str:
    """Render why the engine replied as it did, for `faqbot ask --explain`."""
    e = reply.explanation
    normalized = e.get("normalized", "")
    decided = f"{reply.status} {reply.intent}" if reply.intent else reply.status
    lines = [f"question     {reply.question}", f"normalised   {normalized or '-'}"]
    acronyms = {k.lower(): v for k, v in kb.acronyms.items()}
    used = [f"{t.upper()} = {acronyms[t]}" for t in dict.fromkeys(normalized.split()) if t in acronyms]
    lines.append(f"acronyms     {'; '.join(used) if used else '-'}")
    lines.append(f"subjects     {', '.join(e.get('subjects') or []) or '-'}")
    context = e.get("context")
    lines.append("context      " + (f"subject {context[0]!r}, facet {context[1] or '-'!r} (from the conversation)"
                                    if context else "- (no earlier answer in this conversation)"))
    if e.get("follow_up"):
        lines.append(f"follow-up    resolved against subject {e['follow_up']!r}")
    candidates = e.get("candidates", [])
    if candidates:
        lines.append("candidates   (score = blended confidence; tfidf, fuzzy and svm (the classifier's probability) "
                     "are the matcher's sub-scores)")
        for n, c in enumerate(candidates[:5], 1):
            svm = f"svm {c['classifier']:.3f}  " if c.get("classifier") is not None else ""
            lines.append(f"  {n}. {c['intent']:32} score {c['score']:.3f}  tfidf {c['tfidf']:.3f}  "
                         f"fuzzy {c['fuzzy']:.3f}  {svm}{_guard_text(c.get('guard', {}))}")
            lines.append(f"     nearest example: {c['example']!r}")
    lines.append(f"rule         {e.get('rule', '-')}")
    lines.append(f"decision     {decided} (confidence {reply.confidence:.2f})")
    if reply.suggestions:
        lines.append("suggestions  " + "; ".join(f"{s.intent} ({s.title})" for s in reply.suggestions))
    return "\n".join(lines)


def _guard_text(guard: dict[str, Any]) -> str:
    if not guard:
        return ""
    if guard.get("passed"):
        return "guard: ok"
    reasons = []
    if guard.get("uncovered"):
        reasons.append(f"uncovered terms {', '.join(guard['uncovered'])} (share {guard.get('share', 0):.2f})")
    if guard.get("foreign_subjects"):
        reasons.append(f"other subject {', '.join(guard['foreign_subjects'])}")
    return "guard: refused, " + "; ".join(reasons or ["refused"])
