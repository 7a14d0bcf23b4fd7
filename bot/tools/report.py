"""`faqbot eval --report DIR`: the confusion matrix and the misclassified questions, as JSON (and PNG)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bot.engine import ANSWERED
from bot.tools.evaluation import OUT_OF_SCOPE, EvalReport, Outcome
from bot.tools.tuning import PNG_DPI

NOT_ANSWERED = "(not answered)"  # the column of clarify and fallback replies
CANDIDATES_LISTED = 3  # best candidates listed with each misclassified question
PNG_INCHES_PER_LABEL = 0.22  # the confusion picture grows by this much per row or column...
PNG_BASE_INCHES = (3, 2)  # ... from this width and height
PNG_LABEL_POINTS = 6  # font size of its intent labels


def predicted(outcome: Outcome) -> str:
    """Return the column of an outcome: the intent answered, or NOT_ANSWERED."""
    return outcome.intent if outcome.status == ANSWERED and outcome.intent else NOT_ANSWERED


def confusion_matrix(outcomes: list[Outcome]) -> dict[str, Any]:
    """Return {labels, rows, columns, matrix}: rows are the expected intents, columns what the engine answered."""
    counts = Counter((o.expected or OUT_OF_SCOPE, predicted(o)) for o in outcomes)
    rows = sorted({e for e, _ in counts} - {OUT_OF_SCOPE}) + [OUT_OF_SCOPE]
    columns = sorted({p for _, p in counts} - {NOT_ANSWERED}) + [NOT_ANSWERED]
    return {"rows": rows, "columns": columns, "matrix": [[counts[(r, c)] for c in columns] for r in rows]}


def misclassified(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Return the questions the engine got wrong, with what it did and its best candidates."""
    return [{"question": o.text, "expected": o.expected or OUT_OF_SCOPE, "kind": o.kind, "status": o.status,
             "got": predicted(o), "confidence": round(o.confidence, 3),
             "candidates": [{"intent": c.intent, "score": round(c.score, 3)} for c in o.candidates[:CANDIDATES_LISTED]]}
            for o in outcomes if not o.correct]


def write_report(report: EvalReport, folder: Path) -> list[Path]:
    """Write report.json (confusion matrix, misclassified questions) and, with matplotlib, confusion.png."""
    folder.mkdir(parents=True, exist_ok=True)
    matrix = confusion_matrix(report.outcomes)
    data = {"metrics": report.metrics(), "confusion_matrix": matrix, "misclassified": misclassified(report.outcomes),
            "dialog_failures": [f for f in report.failures if f.startswith("dialog ")],
            "unlabelled_intents": report.unlabelled}
    written = [folder / "report.json"]
    written[0].write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    try:
        written.append(plot_confusion(matrix, folder / "confusion.png"))
    except ImportError:
        pass  # the JSON says it all; the picture needs the plot extra
    return written


def plot_confusion(matrix: dict[str, Any], path: Path) -> Path:
    """Draw the confusion matrix as a heat map; raise ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, columns = matrix["rows"], matrix["columns"]
    width, height = PNG_BASE_INCHES
    fig, ax = plt.subplots(figsize=(width + PNG_INCHES_PER_LABEL * len(columns),
                                    height + PNG_INCHES_PER_LABEL * len(rows)))
    ax.imshow(matrix["matrix"], cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=PNG_LABEL_POINTS)
    ax.set_yticks(range(len(rows)), rows, fontsize=PNG_LABEL_POINTS)
    ax.set_xlabel("answered")
    ax.set_ylabel("expected")
    ax.set_title("faqbot eval: confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=PNG_DPI)
    plt.close(fig)
    return path
