"""What `faqbot check` says about the fitted model: the classes, whether the SVM is fitted, the learned thresholds."""

from __future__ import annotations

from typing import Any

from bot.engine import Engine
from bot.language import DEFAULT_LANGUAGE
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
        "answer_thresholds": engine.answer_thresholds,
        "answers_nothing": engine.silent_languages,
        "target_precision": engine.config.decision.target_precision,
    }


def format_model(summary: dict[str, Any]) -> str:
    """Render the summary in two lines, and a third when the decision answers nothing in some language."""
    svm = ("the SVM is fitted" if summary["classifier_fitted"] else
           f"the SVM is NOT fitted (intents x non-zero features over [matcher] classifier_budget = "
           f"{summary['classifier_budget']}, or classifier_weight = 0): scores are the similarity alone")
    others = ", ".join(f"{language} {threshold:.2f}" for language, threshold in summary["answer_thresholds"].items()
                       if language not in ("*", DEFAULT_LANGUAGE))
    text = (f"model: {summary['intents']} intents, {summary['examples']} examples, "
            f"{summary['out_of_scope_examples']} out-of-scope examples; {svm}\n"
            f"decision: answer above probability {summary['answer_threshold']:.2f}"
            f"{f' ({others})' if others else ''}, learned out of fold for precision {summary['target_precision']:g}")
    if summary["answers_nothing"]:
        text += (f"\nwarning: the bot answers no question in {', '.join(summary['answers_nothing'])}: none of the "
                 f"held-out examples it is surest of reaches precision {summary['target_precision']:g} (it ranks "
                 f"them too poorly). Add varied examples, or lower [decision] target_precision in config.toml")
    return text
