"""IntentMatcher: a TF-IDF shortlist (word + character n-grams) re-ranked with rapidfuzz.

Scores live on one 0-1 scale. The similarity of an intent is
``tfidf_weight * cosine + (1 - tfidf_weight) * fuzzy``, where ``cosine`` is the TF-IDF cosine
between the question and an example (word n-grams and character n-grams mixed by
``word_weight``) and ``fuzzy`` is rapidfuzz's token-sort ratio / 100; an intent's similarity is
the best of its examples. Similarity says how close the question is to what people asked, not
which words tell two sibling intents apart ("où est le SSI" and "qui dirige le SSI" share most
of their words). A linear SVM fitted on the same TF-IDF vectors learns those words; its
decision values, turned into probabilities with a softmax (``classifier_temperature``), are
mixed in: ``score = (1 - classifier_weight) * similarity + classifier_weight * probability``.

The matcher follows scikit-learn's estimator rules: ``__init__`` only stores parameters,
``fit`` returns ``self``, fitted attributes end in ``_``. scikit-learn is used to fit the
vocabulary and IDF weights; questions are then vectorised and scored with NumPy alone over an
inverted index, so a process that loads a cached index never imports scikit-learn.

Speed at scale (see ``faqbot bench``): the n-grams are counted once per distinct word when
fitting; a question reads only its own features' postings; with a large knowledge base, where the
commonest n-grams have tens of thousands of postings, the rarest features pick candidates and
only those are scored exactly (``_shortlist``); the re-ranking is one rapidfuzz call.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.features import (
    SUBLINEAR_TF,
    char_features,
    count_features,
    intent_centroids,
    row_dots,
    sparse_dot,
    top_positions,
    word_features,
)

INDEX_FORMAT = 5
# A question whose features have more postings than this in all is scored in two steps (see
# IntentMatcher._shortlist); below it, which covers the shipped data, every cosine is computed.
POSTINGS_BUDGET = 100_000
CANDIDATES_PER_SLOT = 8  # examples rescored exactly per shortlist slot in the two-step scoring
# The classifier keeps one weight per (feature, intent): above this many weights (about 40 MB)
# it is not fitted and the score is the similarity alone.
CLASSIFIER_MAX_WEIGHTS = 10_000_000
# It fits one SVM per intent over every example; its time grows with intents x non-zero features
# of the training matrix ([matcher] classifier_budget). On this project's 2-core machine: the shipped
# data, ~2.4M, fits in well under a second; CLINC150 (150 intents, 15,000 questions), ~200M, in ~20 s.
CLASSIFIER_BUDGET = 250_000_000
CLASSIFIER_CANDIDATES = 3  # the classifier's most probable intents, always ranked
# liblinear shuffles with one process-wide random generator: two SVMs fitted at once would share
# its draws and their weights would depend on timing. Everything else in fitting runs side by side.
_LIBLINEAR = threading.Lock()
OUT_OF_SCOPE = "out_of_scope"  # the label of the questions the bot must refuse (kb.out_of_scope)


class NotFittedError(RuntimeError):
    """The matcher was used before `fit` (or `load`)."""


@dataclass(frozen=True)
class Candidate:
    """One ranked intent with the sub-scores that produced its score."""

    intent: str
    score: float
    tfidf: float
    fuzzy: float
    example: str
    classifier: float | None = None  # the classifier's probability, None when it is not used


class IntentMatcher:
    """Rank the intents of a KnowledgeBase for a normalised question."""

    def __init__(self, char_ngram_min: int = 3, char_ngram_max: int = 5, word_weight: float = 0.5,
                 shortlist: int = 20, tfidf_weight: float = 0.6, min_feature_idf: float = 2.0,
                 centroid_weight: float = 0.5, classifier_weight: float = 0.3, classifier_c: float = 1.0,
                 classifier_temperature: float = 0.1, classifier_budget: int = CLASSIFIER_BUDGET) -> None:
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max
        self.word_weight = word_weight
        self.shortlist = shortlist
        self.tfidf_weight = tfidf_weight
        self.min_feature_idf = min_feature_idf
        self.centroid_weight = centroid_weight
        self.classifier_weight = classifier_weight
        self.classifier_c = classifier_c
        self.classifier_temperature = classifier_temperature
        self.classifier_budget = classifier_budget

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Return the constructor's parameter names, in order."""
        return tuple(p for p in inspect.signature(cls.__init__).parameters if p != "self")

    def get_params(self) -> dict[str, float | int]:
        """Return the constructor parameters (scikit-learn convention: read from the signature)."""
        return {k: getattr(self, k) for k in self.param_names()}

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentMatcher:
        """Learn the vocabulary, IDF weights, inverted index and classifier from normalised texts and their intents."""
        from sklearn.feature_extraction.text import TfidfTransformer  # slow import: fit only

        if len(texts) != len(labels) or not texts:
            raise ValueError(f"fit needs as many labels as texts, and some: got {len(texts)} and {len(labels)}")
        intent_ids = sorted(set(labels))
        position = {intent_id: n for n, intent_id in enumerate(intent_ids)}
        texts = list(texts)
        owners = [position[label] for label in labels]
        blocks = []
        vocab: dict[str, int] = {}
        idf_parts = []
        # The same matrices as TfidfVectorizer(analyzer=word_features / char_features), counted faster.
        counted = count_features(texts, self.char_ngram_min, self.char_ngram_max)
        while counted:
            prefix, names, counts = counted.pop(0)
            transformer = TfidfTransformer(sublinear_tf=True, norm="l2")
            matrix = transformer.fit_transform(counts)
            del counts  # free each count matrix as soon as it is weighted
            offset = len(vocab)
            vocab.update({f"{prefix}|{feat}": offset + col for col, feat in enumerate(names)})
            idf_parts.append(transformer.idf_.astype(np.float32))
            blocks.append(matrix * math.sqrt(self._block_weight(prefix)))
        from scipy.sparse import hstack

        matrix = hstack(blocks).tocsr()
        del blocks
        csc = matrix.tocsc()
        centroids = intent_centroids(matrix, np.asarray(owners), len(intent_ids)).tocsc()
        centroid_rows = centroids.tocsr()
        # Row-compressed copies of both matrices: the exact rescoring step of `_shortlist`.
        self.rows_indptr_ = matrix.indptr.astype(np.int64, copy=False)
        self.rows_indices_ = matrix.indices.astype(np.int32, copy=False)
        self.rows_data_ = matrix.data.astype(np.float32, copy=False)
        self.centroid_rows_indptr_ = centroid_rows.indptr.astype(np.int64, copy=False)
        self.centroid_rows_indices_ = centroid_rows.indices.astype(np.int32, copy=False)
        self.centroid_rows_data_ = centroid_rows.data.astype(np.float32, copy=False)
        self.centroid_indptr_ = centroids.indptr.astype(np.int64, copy=False)
        self.centroid_indices_ = centroids.indices.astype(np.int32, copy=False)
        self.centroid_data_ = centroids.data.astype(np.float32, copy=False)
        self.vocabulary_ = vocab
        self.idf_ = np.concatenate(idf_parts)
        self.indptr_ = csc.indptr.astype(np.int64, copy=False)
        self.indices_ = csc.indices.astype(np.int32, copy=False)
        self.data_ = csc.data.astype(np.float32, copy=False)
        self.examples_ = texts
        self.example_intent_ = np.asarray(owners, dtype=np.int32)
        self.intent_ids_ = intent_ids
        self.classifier_coef_, self.classifier_intercept_ = self._fit_classifier(matrix, self.example_intent_)
        return self

    def _fit_classifier(self, matrix: Any, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fit the linear SVM; return its weights as (feature, intent) rows and its intercepts.

        Empty arrays mean no classifier: a single intent, a zero classifier_weight, or a knowledge base
        above CLASSIFIER_MAX_WEIGHTS weights or a fitting cost (intents x non-zeros) over `classifier_budget`.
        """
        n_intents = len(self.intent_ids_)
        if (self.classifier_weight <= 0 or n_intents < 2 or n_intents * matrix.shape[1] > CLASSIFIER_MAX_WEIGHTS
                or n_intents * matrix.nnz > self.classifier_budget):
            return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.float32)
        from sklearn.svm import LinearSVC  # slow import: fit only

        with _LIBLINEAR:  # same data, same weights
            svm = LinearSVC(C=self.classifier_c, random_state=0).fit(matrix, owners)
        coef, intercept = svm.coef_, svm.intercept_
        if n_intents == 2:  # scikit-learn keeps one weight vector for two classes
            coef, intercept = np.vstack([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
        # Rows per feature: a question gathers only the rows of its own features.
        return np.ascontiguousarray(coef.T, dtype=np.float32), intercept.astype(np.float32)

    def classify(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
        """Return the classifier's probability of every intent for a vectorised question (None without one)."""
        if not self.classifier_coef_.size:
            return None
        z = weights.astype(np.float64) @ self.classifier_coef_[cols] + self.classifier_intercept_
        z = (z - z.max()) / self.classifier_temperature
        p = np.exp(z)
        return p / p.sum()

    def clear_caches(self) -> None:
        """Forget the memoised n-gram columns of the words met so far."""
        self.__dict__.pop("_grams_memo", None)

    def _word_grams(self, word: str) -> tuple[int, ...]:
        """Return the columns of a word's character n-grams found in the vocabulary (memoised)."""
        memo: dict[str, tuple[int, ...]] = self.__dict__.setdefault("_grams_memo", {})
        grams = memo.get(word)
        if grams is None:
            get = self.vocabulary_.get
            grams = tuple(col for g in char_features(word, self.char_ngram_min, self.char_ngram_max)
                          if (col := get(f"c|{g}")) is not None)
            if len(memo) >= 100_000:
                memo.clear()
            memo[word] = grams
        return grams

    def _char_analyzer(self, text: str) -> list[str]:
        return char_features(text, self.char_ngram_min, self.char_ngram_max)

    def _block_weight(self, prefix: str) -> float:
        return self.word_weight if prefix == "w" else 1.0 - self.word_weight

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError("IntentMatcher is not fitted: call fit(kb) or load(path) first")

    # -- querying ----------------------------------------------------------------------------
    def vectorize(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (feature columns, weights) of the question's TF-IDF vector."""
        self._check_fitted()
        cols: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        vocabulary = self.vocabulary_
        # Columns in order of first occurrence, as Counter over the features themselves gives them.
        word_counts = Counter(map(vocabulary.get, [f"w|{feat}" for feat in word_features(normalized)]))
        char_counts = Counter(chain.from_iterable(map(self._word_grams, normalized.split())))
        for prefix, counts in (("w", word_counts), ("c", char_counts)):
            counts.pop(None, None)
            if not counts:
                continue
            block_cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(map(SUBLINEAR_TF.__getitem__, counts.values()), dtype=np.float64, count=len(counts))
            idf = self.idf_[block_cols].astype(np.float64)
            keep = idf >= self.min_feature_idf
            block_cols, block_w = block_cols[keep], tf[keep] * idf[keep]
            norm = math.sqrt(sum((block_w * block_w).tolist()))  # summed in order, like the reference
            if norm and self._block_weight(prefix) > 0:
                cols.append(block_cols)
                weights.append(block_w * (math.sqrt(self._block_weight(prefix)) / norm))
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(cols), np.concatenate(weights).astype(np.float32)

    def cosines(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the TF-IDF cosines between the question and every example, and every intent centroid."""
        cols, weights = self.vectorize(normalized)
        return (sparse_dot(cols, weights, self.indptr_, self.indices_, self.data_, len(self.examples_)),
                sparse_dot(cols, weights, self.centroid_indptr_, self.centroid_indices_, self.centroid_data_,
                            len(self.intent_ids_)))

    def _shortlist(self, cols: np.ndarray, weights: np.ndarray,
                   exclude: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the rows to re-rank, the cosine of each example and of each intent's centroid.

        While the question's postings fit POSTINGS_BUDGET every cosine is computed at once. In a
        large knowledge base the commonest features (" de", "le") have tens of thousands of postings
        and little weight: the rarest features, up to the budget, pick `CANDIDATES_PER_SLOT *
        shortlist` candidates, whose exact cosines (and those of their intents' centroids) come
        from the row-compressed copies. Only those cosines are filled in; the others stay 0.
        """
        n = len(self.examples_)
        lengths = self.indptr_[cols + 1] - self.indptr_[cols]
        if lengths.sum() <= POSTINGS_BUDGET:
            cos = sparse_dot(cols, weights, self.indptr_, self.indices_, self.data_, n)
            centroid = sparse_dot(cols, weights, self.centroid_indptr_, self.centroid_indices_, self.centroid_data_,
                                   len(self.intent_ids_))
            if exclude is not None:
                cos[exclude] = 0.0
            k = min(self.shortlist, n)
            return top_positions(cos, k), cos, centroid
        order = np.argsort(lengths, kind="stable")
        rare = order[:max(1, int(np.searchsorted(np.cumsum(lengths[order]), POSTINGS_BUDGET, side="right")))]
        partial = sparse_dot(cols[rare], weights[rare], self.indptr_, self.indices_, self.data_, n)
        if exclude is not None:
            partial[exclude] = 0.0
        m = min(self.shortlist * CANDIDATES_PER_SLOT, n)
        candidates = top_positions(partial, m)
        candidates = candidates[partial[candidates] > 0.0]
        cos = np.zeros(n, dtype=np.float64)
        cos[candidates] = row_dots(candidates, cols, weights, self.rows_indptr_, self.rows_indices_, self.rows_data_,
                                    len(self.idf_))
        k = min(self.shortlist, len(candidates))
        rows = candidates[np.argpartition(-cos[candidates], k - 1)[:k]] if k < len(candidates) else candidates
        owners = np.unique(self.example_intent_[rows])
        centroid = np.zeros(len(self.intent_ids_), dtype=np.float64)
        centroid[owners] = row_dots(owners, cols, weights, self.centroid_rows_indptr_, self.centroid_rows_indices_,
                                     self.centroid_rows_data_, len(self.idf_))
        return rows, cos, centroid

    def rank(self, normalized: str, top: int = 5, exclude: int | None = None) -> list[Candidate]:
        """Return up to `top` intents, best first, for an already normalised question.

        `exclude` leaves one example row out (leave-one-out evaluation); the classifier, which
        was fitted on that row too, is then left out of the score.
        """
        self._check_fitted()
        if not normalized.strip():
            return []
        cols, weights = self.vectorize(normalized)
        probabilities = self.classify(cols, weights) if exclude is None else None
        shortlist, cos, centroid = self._shortlist(cols, weights, exclude)
        shortlist = shortlist[cos[shortlist] > 0.0]
        examples = [self.examples_[row] for row in shortlist.tolist()]
        # One call for the whole shortlist: rapidfuzz sorts the question's tokens once.
        fuzzy = process.cdist([normalized], examples, scorer=fuzz.token_sort_ratio, dtype=np.float64)[0]
        owner_rows = self.example_intent_[shortlist]
        # The centroid helps a question that mixes words of several examples; it never lowers the
        # score of a question that is close to one example.
        c = np.minimum(cos[shortlist], 1.0)
        tfidf_all = np.maximum(c, (1.0 - self.centroid_weight) * c
                               + self.centroid_weight * np.minimum(centroid[owner_rows], 1.0))
        f_all = np.asarray(fuzzy) / 100.0
        scores = np.round(self.tfidf_weight * tfidf_all + (1.0 - self.tfidf_weight) * f_all, 4)
        best: dict[int, tuple[float, float, float, str]] = {}
        # Plain Python numbers: indexing NumPy arrays one item at a time is slow.
        for example, score, tfidf, f, owner in zip(examples, scores.tolist(), tfidf_all.tolist(), f_all.tolist(),
                                                   owner_rows.tolist(), strict=True):
            if owner not in best or score > best[owner][0]:
                best[owner] = (score, tfidf, f, example)
        if probabilities is not None:
            # The intents the classifier prefers are candidates even when no example of theirs made
            # the shortlist (a short question whose framing words dominate the cosines).
            for owner in np.argsort(-probabilities)[:CLASSIFIER_CANDIDATES].tolist():
                if owner not in best:
                    best[owner] = self._similarity(normalized, owner, cos, centroid)
            w = self.classifier_weight
            best = {owner: (round((1.0 - w) * score + w * float(probabilities[owner]), 4), *rest)
                    for owner, (score, *rest) in best.items()}
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:top]
        return [Candidate(self.intent_ids_[owner], score, round(tfidf, 4), round(f, 4), example,
                          None if probabilities is None else round(float(probabilities[owner]), 4))
                for owner, (score, tfidf, f, example) in ranked]

    def _similarity(self, normalized: str, owner: int, cos: np.ndarray,
                    centroid: np.ndarray) -> tuple[float, float, float, str]:
        """Return (similarity, tfidf, fuzzy, example) of an intent's closest example, as `rank` computes them."""
        rows = np.flatnonzero(self.example_intent_ == owner)
        row = int(rows[np.argmax(cos[rows])])
        c = min(float(cos[row]), 1.0)
        tfidf = max(c, (1.0 - self.centroid_weight) * c + self.centroid_weight * min(float(centroid[owner]), 1.0))
        example = self.examples_[row]
        f = fuzz.token_sort_ratio(normalized, example) / 100.0
        return round(self.tfidf_weight * tfidf + (1.0 - self.tfidf_weight) * f, 4), tfidf, f, example

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the fitted index to `path` (a .npz file), atomically."""
        self._check_fitted()
        meta = {"format": INDEX_FORMAT, "params": self.get_params(), "vocabulary": self.vocabulary_,
                "examples": self.examples_, "intent_ids": self.intent_ids_}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, idf=self.idf_, indptr=self.indptr_, indices=self.indices_, data=self.data_,
                     centroid_indptr=self.centroid_indptr_, centroid_indices=self.centroid_indices_,
                     centroid_data=self.centroid_data_, rows_indptr=self.rows_indptr_, rows_indices=self.rows_indices_,
                     rows_data=self.rows_data_, centroid_rows_indptr=self.centroid_rows_indptr_,
                     centroid_rows_indices=self.centroid_rows_indices_, centroid_rows_data=self.centroid_rows_data_,
                     example_intent=self.example_intent_, classifier_coef=self.classifier_coef_,
                     classifier_intercept=self.classifier_intercept_,
                     meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> IntentMatcher:
        """Read an index written by `save`."""
        with np.load(path) as arrays:
            meta = json.loads(arrays["meta"].tobytes().decode())
            if meta.get("format") != INDEX_FORMAT:
                raise ValueError(f"{path}: index format {meta.get('format')} is not {INDEX_FORMAT}")
            matcher = cls(**meta["params"])
            matcher.idf_ = arrays["idf"]
            matcher.indptr_ = arrays["indptr"]
            matcher.indices_ = arrays["indices"]
            matcher.data_ = arrays["data"]
            matcher.example_intent_ = arrays["example_intent"]
            matcher.centroid_indptr_ = arrays["centroid_indptr"]
            matcher.centroid_indices_ = arrays["centroid_indices"]
            matcher.centroid_data_ = arrays["centroid_data"]
            for name in ("rows_indptr", "rows_indices", "rows_data", "centroid_rows_indptr", "centroid_rows_indices",
                         "centroid_rows_data", "classifier_coef", "classifier_intercept"):
                setattr(matcher, f"{name}_", arrays[name])
        matcher.vocabulary_ = meta["vocabulary"]
        matcher.examples_ = meta["examples"]
        matcher.intent_ids_ = meta["intent_ids"]
        return matcher


def matcher_params(settings: Any) -> dict[str, float | int]:
    """Return IntentMatcher's parameters read from a settings object ([matcher] of config.toml)."""
    return {name: getattr(settings, name) for name in IntentMatcher.param_names()}
