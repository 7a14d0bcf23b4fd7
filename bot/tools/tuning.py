"""`faqbot eval`'s threshold analysis: sweep the answer threshold around the learned one, render and plot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.engine import ANSWERED
from bot.tools.evaluation import (
    Confusion,
    EvalReport,
    IntentScore,
    Outcome,
    confusions,
    headline,
    per_intent,
    ratio,
)

THRESHOLDS = tuple(round(0.30 + 0.01 * i, 2) for i in range(70))  # 0.30 .. 0.99
SWEEP_SHOWN_EVERY = 5  # the printed sweep shows the thresholds on a multiple of this many hundredths
SWEEP_INCHES = (8, 5.5)  # width and height of the sweep picture
PNG_DPI = 120  # resolution of the pictures `faqbot eval` draws (the sweep, the confusion matrix)


@dataclass(frozen=True)
class SweepPoint:
    answer_threshold: float
    answered: int
    correct: int  # answers giving the expected intent
    total: int  # in-scope and out-of-scope questions

    @property
    def coverage(self) -> float:
        """Share of all questions answered."""
        return ratio(self.answered, self.total)

    @property
    def precision(self) -> float:
        """Share of the answers that are right (1.0 when nothing is answered)."""
        return ratio(self.correct, self.answered) if self.answered else 1.0

    def to_json(self) -> dict[str, float | int]:
        return {**asdict(self), "coverage": self.coverage, "precision": self.precision}


def redecide(outcome: Outcome, answer_threshold: float) -> str | None:
    """Return the intent `bot.decision.decide` answers at this threshold, or None.

    The reply's confidence is the decision model's probability for the best candidate the guard
    does not veto, so moving the threshold re-decides exactly as the engine would.
    """
    allowed = [c for c in outcome.candidates if c.passed]
    return allowed[0].intent if allowed and outcome.confidence >= answer_threshold else None


def sweep_point(outcomes: list[Outcome], answer_threshold: float) -> SweepPoint:
    """Return coverage and precision at one threshold, re-deciding from the recorded replies."""
    answered = correct = 0
    for o in outcomes:
        intent = redecide(o, answer_threshold)
        if intent is not None:
            answered += 1
            correct += intent == o.expected
    return SweepPoint(answer_threshold, answered, correct, len(outcomes))


def sweep(outcomes: list[Outcome], thresholds: Iterable[float] = THRESHOLDS) -> list[SweepPoint]:
    """Return a point for every threshold; the engine is not run again."""
    return [sweep_point(outcomes, t) for t in sorted(set(thresholds))]


def lowest_reaching(points: list[SweepPoint], target: float) -> SweepPoint | None:
    """Return the lowest threshold whose precision reaches `target` (None if none does)."""
    return next((p for p in sorted(points, key=lambda p: p.answer_threshold)
                 if p.precision >= target and p.answered), None)


@dataclass
class Analysis:
    """What `faqbot eval` derives from the recorded outcomes."""

    per_intent: list[IntentScore]
    confusions: list[Confusion]
    points: list[SweepPoint]
    current: SweepPoint
    target_precision: float
    mismatches: list[str]  # questions where re-deciding disagrees with the engine at its threshold

    @property
    def reaching(self) -> SweepPoint | None:
        return lowest_reaching(self.points, self.target_precision)


def analyse(report: EvalReport, answer_threshold: float, target_precision: float) -> Analysis:
    """Compute per-intent scores, confusions and the threshold sweep from an evaluation report."""
    outcomes = report.outcomes
    points = sweep(outcomes, THRESHOLDS + (answer_threshold,))
    current = sweep_point(outcomes, answer_threshold)
    mismatches = [o.text for o in outcomes if redecide(o, answer_threshold)
                  != (o.intent if o.status == ANSWERED else None)]
    return Analysis(per_intent(outcomes), confusions(outcomes), points, current, target_precision, mismatches)


def plot_sweep(analysis: Analysis, path: Path) -> None:
    """Draw precision against coverage over the thresholds; raise ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=SWEEP_INCHES)
    pts = sorted(analysis.points, key=lambda p: p.answer_threshold)
    ax.plot([p.coverage for p in pts], [p.precision for p in pts], marker=".", linewidth=1, label="answer threshold")
    ax.axhline(analysis.target_precision, color="grey", linestyle="--", linewidth=1, label="target precision")
    c = analysis.current
    ax.scatter([c.coverage], [c.precision], s=160, marker="o", zorder=5, edgecolors="black",
               label=f"learned threshold {c.answer_threshold:g}")
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("precision (share of answers that are right)")
    ax.set_title("faqbot eval: answer threshold sweep")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=PNG_DPI)
    plt.close(fig)


# -- rendering the evaluation -------------------------------------------------------------------
def format_report(report: EvalReport, analysis: Analysis | None = None) -> str:
    """Render the report (and its analysis, if given) for a person."""
    lines = headline(report)
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
    """Render the sweep around the learned threshold, and where this set reaches the target precision."""
    shown = {p for p in a.points if round(p.answer_threshold * 100) % SWEEP_SHOWN_EVERY == 0} | {a.current}
    lines = [f"threshold sweep (coverage = answered / all {a.current.total} questions, precision = right answers "
             "/ answered):",
             f"  {'answer_threshold':>16} {'coverage':>9} {'precision':>9} {'answered':>8} {'wrong':>6}"]
    for p in sorted(shown, key=lambda p: p.answer_threshold):
        mark = "learned" if p == a.current else ""
        lines.append(f"  {p.answer_threshold:>16.2f} {p.coverage:>9.3f} {p.precision:>9.3f} {p.answered:>8} "
                     f"{p.answered - p.correct:>6}  {mark}".rstrip())
    c, r = a.current, a.reaching
    lines.append(f"learned     answer_threshold = {c.answer_threshold:g} (out of fold, for target precision "
                 f"{a.target_precision:g}): coverage {c.coverage:.3f}, precision {c.precision:.3f}")
    if r is not None:
        lines.append(f"on this set the target is first reached at {r.answer_threshold:g} (a calibration check, "
                     "not a setting: thresholds are never learned from an evaluation set)")
    if a.mismatches:
        lines.append(f"note: re-deciding disagrees with the engine on {len(a.mismatches)} question(s) "
                     f"(another rule decided them), e.g. {a.mismatches[0]!r}")
    return lines


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
            "reaching_target": a.reaching.to_json() if a.reaching else None,
            "mismatches": a.mismatches,
            "points": [p.to_json() for p in a.points],
        },
        "failures": report.failures,
        "unlabelled_intents": report.unlabelled,
    }

