"""Figures of `faqbot bench --dataset`: scores, the threshold chosen on val, the TF-IDF + LinearSVC baseline.

Labels: an intent id, or "" for out of scope (a gold out-of-scope question, or a question the
system does not answer). Every system is scored by the same `scores` from its per-question
predictions, so the baseline and faqbot are computed the same way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

OOS = ""

# Larson et al. 2019, CLINC150 "Full", test split: (in-scope accuracy %, out-of-scope recall %).
PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "SVM (bag of words)": {"threshold": (88.2, 18.0), "oos-train": (91.0, 14.5)},
    "FastText": {"threshold": (88.6, 28.3), "oos-train": (89.0, 9.7)},
    "DialogFlow": {"threshold": (90.8, 26.7), "oos-train": (91.7, 14.0)},
    "Rasa (spacy-sklearn)": {"threshold": (90.9, 31.2), "oos-train": (91.5, 45.3)},
    "CNN": {"threshold": (90.9, 30.9), "oos-train": (91.2, 18.9)},
    "MLP on USE embeddings": {"threshold": (93.4, 49.1), "oos-train": (93.5, 47.4)},
    "BERT (fine-tuned)": {"threshold": (96.2, 52.3), "oos-train": (96.9, 40.3)},
}
# How a threshold on the confidence is chosen on val + oos_val (the highest value wins; ties: the lowest threshold).
CRITERIA = {
    "balanced": "(in-scope accuracy + OOS recall) / 2: both kinds of question weigh the same",
    "accuracy": "accuracy over all val + oos_val questions (out of scope is right when not answered): "
                "each question weighs the same, so in scope (30 times more numerous in CLINC150) dominates",
}


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def auroc(positive: Sequence[bool], confidence: Sequence[float]) -> float | None:
    """Return the area under the ROC curve of `confidence` separating positives (in scope) from the rest."""
    if all(positive) or not any(positive):
        return None
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(list(positive), list(confidence))), 4)


def scores(gold: Sequence[str], predicted: Sequence[str], confidence: Sequence[float],
           status: Sequence[str] | None = None) -> dict[str, Any]:
    """Return in-scope accuracy, OOS recall and precision, AUROC and clarify rate of one system's predictions."""
    in_scope = [g != OOS for g in gold]
    right = sum(g != OOS and p == g for g, p in zip(gold, predicted, strict=True))
    oos_hit = sum(g == OOS and p == OOS for g, p in zip(gold, predicted, strict=True))
    said_oos = sum(p == OOS for p in predicted)
    clarify = sum(s == "clarify" for s in status) if status is not None else None
    return {"in_scope_accuracy": _ratio(right, sum(in_scope)), "oos_recall": _ratio(oos_hit, in_scope.count(False)),
            "oos_precision": _ratio(oos_hit, said_oos), "auroc": auroc(in_scope, confidence),
            "clarify_rate": _ratio(clarify, len(gold)) if clarify is not None else None,
            "in_scope": sum(in_scope), "out_of_scope": in_scope.count(False)}


def apply_threshold(predicted: Sequence[str], confidence: Sequence[float], threshold: float) -> list[str]:
    """Return the predictions kept when their confidence reaches `threshold`, out of scope otherwise."""
    return [p if c >= threshold else OOS for p, c in zip(predicted, confidence, strict=True)]


def choose_threshold(gold: Sequence[str], predicted: Sequence[str], confidence: Sequence[float],
                     criterion: str = "balanced") -> float:
    """Return the threshold on val that maximises `criterion` (a key of CRITERIA)."""
    n_in = sum(g != OOS for g in gold) or 1
    n_out = sum(g == OOS for g in gold) or 1

    def value(right: int, answered_oos: int) -> float:
        if criterion == "balanced":
            return 0.5 * (right / n_in + (n_out - answered_oos) / n_out)
        return (right + n_out - answered_oos) / len(gold)

    # Sweep the distinct confidences from high to low: lowering the threshold to c answers every
    # question whose confidence is >= c.
    rows = sorted(zip(confidence, gold, predicted, strict=True), key=lambda r: -r[0])
    best_value, best_t = value(0, 0), float("inf")  # answer nothing
    right = answered_oos = 0
    for i, (c, g, p) in enumerate(rows):
        right += g != OOS and p == g
        answered_oos += g == OOS and p != OOS
        if i + 1 < len(rows) and rows[i + 1][0] == c:
            continue
        if value(right, answered_oos) >= best_value:
            best_value, best_t = value(right, answered_oos), c
    if best_t == float("inf"):  # answering nothing is best: a threshold above every confidence
        return float(rows[0][0] + 1.0) if rows else 1.0
    return float(best_t)


class Baseline:
    """TF-IDF (word 1-2 grams, sublinear tf) + LinearSVC, fitted on the train split; confidence = max decision value.

    With an out-of-scope class (oos-train), its column is left out of the confidence.
    """

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.svm = LinearSVC(C=1.0, random_state=0)
        self.build_s = 0.0

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Baseline:
        """Fit the vectoriser and the SVM; labels "" are the out-of-scope class."""
        start = time.perf_counter()
        self.svm.fit(self.vectorizer.fit_transform(texts), list(labels))
        self.build_s = time.perf_counter() - start
        return self

    def predict(self, texts: Sequence[str]) -> tuple[list[str], list[float]]:
        """Return the predicted label ("" = out of scope) and the confidence of each text."""
        import numpy as np

        values = np.asarray(self.svm.decision_function(self.vectorizer.transform(texts)))
        classes = list(self.svm.classes_)
        if values.ndim == 1:  # two classes: one column, positive for classes_[1]
            values = np.stack([-values, values], axis=1)
        labels = [classes[i] for i in values.argmax(axis=1)]
        if OOS in classes:
            values = np.delete(values, classes.index(OOS), axis=1)
        return labels, [round(float(v), 4) for v in values.max(axis=1)]

    def timed(self, texts: Sequence[str]) -> list[float]:
        """Return the wall time (s) of answering each text alone, as a service would."""
        times = []
        for text in texts:
            start = time.perf_counter()
            self.predict([text])
            times.append(time.perf_counter() - start)
        return times


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def format_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Render result rows (system, protocol, figures) as an aligned text table."""
    head = ("system", "in-scope %", "OOS recall %", "OOS prec. %", "AUROC", "clarify %", "top-1 %",
            "build s", "p50 ms", "p99 ms", "RSS MB")
    cells = [head]
    for r in rows:
        s = r.get("scores", {})
        cells.append((r["system"], _pct(s.get("in_scope_accuracy")), _pct(s.get("oos_recall")),
                      _pct(s.get("oos_precision")), "-" if s.get("auroc") is None else f"{s['auroc']:.3f}",
                      _pct(s.get("clarify_rate")), _pct(r.get("top1")),
                      "-" if r.get("build_s") is None else f"{r['build_s']:.1f}",
                      "-" if r.get("p50_ms") is None else f"{r['p50_ms']:.2f}",
                      "-" if r.get("p99_ms") is None else f"{r['p99_ms']:.2f}",
                      "-" if r.get("rss_mb") is None else f"{r['rss_mb']:.0f}"))
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
            for row in cells]


def published_rows(protocol: str) -> list[dict[str, Any]]:
    """Return the published figures of one protocol as result rows."""
    return [{"system": f"{name} (published, Full)",
             "scores": {"in_scope_accuracy": figures[protocol][0] / 100, "oos_recall": figures[protocol][1] / 100}}
            for name, figures in PUBLISHED.items()]
