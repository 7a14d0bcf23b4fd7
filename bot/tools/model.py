"""What `faqbot check` says about the fitted model: the classes, whether the SVM is fitted, the learned threshold."""

from __future__ import annotations

from typing import Any

from bot.engine import Engine
from bot.matcher import OUT_OF_SCOPE


def describe(engine: Engine) -> dict[str, Any]:
    """Return the fitted model's summary (the engine fits it, or reads it from the cache)."""
    m = engine.matcher
    labels = [m.intent_ids_[i] for i in m.example_intent_]
    return {
        "intents": len(engine.kb.intents),
        "examples": sum(label != OUT_OF_SCOPE for label in labels),
        "out_of_scope_examples": sum(label == OUT_OF_SCOPE for label in labels),
        "classifier_fitted": bool(m.classifier_coef_.size),
        "classifier_budget": m.classifier_budget,
        "answer_threshold": engine.answer_threshold,
        "target_precision": engine.config.decision.target_precision,
    }


def format_model(summary: dict[str, Any]) -> str:
    """Render the summary in two lines."""
    svm = ("the SVM is fitted" if summary["classifier_fitted"] else
           f"the SVM is NOT fitted (intents x non-zero features over [matcher] classifier_budget = "
           f"{summary['classifier_budget']}, or classifier_weight = 0): scores are the similarity alone")
    return (f"model: {summary['intents']} intents, {summary['examples']} examples, "
            f"{summary['out_of_scope_examples']} out-of-scope examples; {svm}\n"
            f"decision: answer above probability {summary['answer_threshold']:.2f}, learned out of fold for "
            f"precision {summary['target_precision']:g}")
