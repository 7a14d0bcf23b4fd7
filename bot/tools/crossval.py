"""`faqbot eval --cross-validation K`: how the engine does on the intents' own examples, fold by fold.

The examples of the intents and of the out-of-scope class are split into K stratified folds; each
fold is ranked by a matcher fitted on the others, and decided by a decision model fitted on the
other folds' rows (`bot.calibration`). Nothing scored was seen by the matcher or the decision:
these are the figures to tune settings on, never the evaluation sets.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any

from bot.calibration import FoldScore, cross_validate_by_language, learn, out_of_fold_rankings
from bot.config import Config
from bot.knowledge import KnowledgeBase
from bot.matcher import matcher_params


@dataclass(frozen=True)
class CrossValidation:
    """The score of each fold, on every question and on each language's alone."""

    scores: list[FoldScore]
    by_language: dict[str, list[FoldScore]]


def run(config: Config, kb: KnowledgeBase, folds: int) -> CrossValidation:
    """Cross-validate on `folds` folds; progress goes to stderr."""
    ranked = out_of_fold_rankings(kb, matcher_params(config.matcher), config.decision, folds,
                                  progress=lambda line: print(line, file=sys.stderr, flush=True))
    model, rows = learn(ranked, config.decision)  # the guard's share veto chosen as the engine chooses it
    scores = cross_validate_by_language(rows, config.decision, model.max_uncovered)
    languages = sorted((lang for lang in scores if lang is not None), key=lambda lang: (lang != "fr", lang))
    return CrossValidation(scores[None], {lang: scores[lang] for lang in languages})


def totals(scores: list[FoldScore]) -> dict[str, float]:
    """Return the figures over all folds (sums of counts, then ratios)."""
    in_scope = sum(s.in_scope for s in scores)
    out = sum(s.out_of_scope for s in scores)
    right = sum(s.answered_right for s in scores)
    return {"in_scope_accuracy": round(right / in_scope, 4) if in_scope else 0.0,
            "out_of_scope_rejection": round(sum(s.rejected for s in scores) / out, 4) if out else 0.0,
            "wrong_answer_rate": round(sum(s.wrong for s in scores) / (in_scope + out), 4) if in_scope + out else 0.0,
            "clarify_rate": round(sum(s.clarified for s in scores) / (in_scope + out), 4) if in_scope + out else 0.0}


def as_json(result: CrossValidation) -> dict[str, Any]:
    """Return the `--json` object: per-fold counts, the totals, and each language's totals."""
    return {"folds": [asdict(s) for s in result.scores], "total": totals(result.scores),
            "by_language": {lang: totals(scores) for lang, scores in result.by_language.items()}}


def format_scores(result: CrossValidation) -> str:
    """Render one line per fold, then the totals, then each language's."""
    scores = result.scores
    lines = [f"{'fold':>4} {'in-scope':>9} {'accuracy':>9} {'out-of-scope':>13} {'rejection':>10} {'wrong':>6} "
             f"{'clarify':>8}"]
    for s in scores:
        lines.append(f"{s.fold + 1:>4} {s.in_scope:>9} {s.accuracy:>9.3f} {s.out_of_scope:>13} {s.rejection:>10.3f} "
                     f"{s.wrong:>6} {s.clarified:>8}")
    for name, part in [("all", scores), *result.by_language.items()]:
        t = totals(part)
        questions = sum(s.in_scope + s.out_of_scope for s in part)
        lines.append(f"{name}: in-scope accuracy {t['in_scope_accuracy']:.3f}, out-of-scope rejection "
                     f"{t['out_of_scope_rejection']:.3f}, wrong answers {t['wrong_answer_rate']:.3f}, "
                     f"clarify {t['clarify_rate']:.3f} ({questions} questions)")
    return "\n".join(lines)
