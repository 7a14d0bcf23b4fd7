"""`faqbot eval`'s tuning: sweep answer_threshold and margin, recommend a setting, render and plot."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bot.config import Config, DecisionSettings
from bot.engine import ANSWERED, Engine
from bot.tools.evaluation import (
    Confusion,
    EvalReport,
    IntentScore,
    Outcome,
    confusions,
    evaluate,
    headline,
    per_intent,
    ratio,
)

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
        return ratio(self.answered, self.total)

    @property
    def precision(self) -> float:
        """Share of the answers that are right (1.0 when nothing is answered)."""
        return ratio(self.correct, self.answered) if self.answered else 1.0

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

