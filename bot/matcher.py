"""IntentMatcher: a TF-IDF shortlist (word + character n-grams) re-ranked with rapidfuzz.

Scores live on one 0-1 scale: ``score = tfidf_weight * cosine + (1 - tfidf_weight) * fuzzy``
where ``cosine`` is the TF-IDF cosine between the question and an example (word n-grams and
character n-grams mixed by ``word_weight``) and ``fuzzy`` is rapidfuzz's token-sort ratio / 100.
An intent's score is the best score of its examples.

The matcher follows scikit-learn's estimator rules: ``__init__`` only stores parameters,
``fit`` returns ``self``, fitted attributes end in ``_``. scikit-learn is used to fit the
vocabulary and IDF weights; questions are then vectorised and scored with NumPy alone over an
inverted index, so a process that loads a cached index never imports scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

INDEX_FORMAT = 2


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


def word_features(normalized: str) -> list[str]:
    """Return word unigrams and bigrams."""
    toks = normalized.split()
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


def char_features(normalized: str, low: int, high: int) -> list[str]:
    """Return character n-grams taken inside word boundaries (like scikit-learn's char_wb)."""
    grams: list[str] = []
    for word in normalized.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


def _sparse_dot(cols: np.ndarray, weights: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                data: np.ndarray, n_rows: int) -> np.ndarray:
    """Multiply a column-compressed matrix by a sparse query vector given as (columns, weights)."""
    if not len(cols):
        return np.zeros(n_rows, dtype=np.float64)
    starts = indptr[cols]
    lengths = indptr[cols + 1] - starts
    # Gather every posting of the question's features in one vectorised step.
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    values = data[offsets] * np.repeat(weights, lengths)
    return np.bincount(indices[offsets], weights=values, minlength=n_rows)


def _centroids(matrix: Any, owners: np.ndarray, n_intents: int) -> Any:
    """Return one L2-normalised row per intent: the sum of its examples' TF-IDF rows."""
    from scipy.sparse import csr_matrix, diags

    membership = csr_matrix((np.ones(len(owners)), (owners, np.arange(len(owners)))), shape=(n_intents, len(owners)))
    summed = (membership @ matrix).tocsr()
    norms = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1))).ravel()
    return diags(1.0 / np.where(norms > 0, norms, 1.0)) @ summed


class IntentMatcher:
    """Rank the intents of a KnowledgeBase for a normalised question."""

    def __init__(self, char_ngram_min: int = 3, char_ngram_max: int = 5, word_weight: float = 0.5,
                 shortlist: int = 40, tfidf_weight: float = 0.6, min_feature_idf: float = 0.0,
                 centroid_weight: float = 0.5) -> None:
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max
        self.word_weight = word_weight
        self.shortlist = shortlist
        self.tfidf_weight = tfidf_weight
        self.min_feature_idf = min_feature_idf
        self.centroid_weight = centroid_weight

    def get_params(self) -> dict[str, float | int]:
        """Return the constructor parameters (scikit-learn convention)."""
        return {k: getattr(self, k) for k in (
            "char_ngram_min", "char_ngram_max", "word_weight", "shortlist", "tfidf_weight", "min_feature_idf",
            "centroid_weight")}

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, kb: KnowledgeBase) -> IntentMatcher:
        """Learn the vocabulary, IDF weights and inverted index from the intents' examples."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # slow import: fit only

        intent_ids = sorted(kb.intents)
        texts, owners = [], []
        for pos, intent_id in enumerate(intent_ids):
            for example in kb.intents[intent_id].examples:
                texts.append(kb.normalize(example))
                owners.append(pos)
        blocks = []
        vocab: dict[str, int] = {}
        idf_parts = []
        for prefix, analyzer in (("w", word_features), ("c", self._char_analyzer)):
            vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, norm="l2", dtype=np.float32)
            matrix = vectorizer.fit_transform(texts)
            offset = len(vocab)
            vocab.update({f"{prefix}|{feat}": offset + col for feat, col in vectorizer.vocabulary_.items()})
            idf_parts.append(vectorizer.idf_.astype(np.float32))
            blocks.append(matrix * math.sqrt(self._block_weight(prefix)))
        from scipy.sparse import hstack

        matrix = hstack(blocks).tocsr()
        csc = matrix.tocsc()
        centroids = _centroids(matrix, np.asarray(owners), len(intent_ids)).tocsc()
        self.centroid_indptr_ = centroids.indptr.astype(np.int64)
        self.centroid_indices_ = centroids.indices.astype(np.int32)
        self.centroid_data_ = centroids.data.astype(np.float32)
        self.vocabulary_ = vocab
        self.idf_ = np.concatenate(idf_parts)
        self.indptr_ = csc.indptr.astype(np.int64)
        self.indices_ = csc.indices.astype(np.int32)
        self.data_ = csc.data.astype(np.float32)
        self.examples_ = texts
        self.example_intent_ = np.asarray(owners, dtype=np.int32)
        self.intent_ids_ = intent_ids
        return self

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
        cols: list[int] = []
        weights: list[float] = []
        for prefix, feats in (("w", word_features(normalized)), ("c", self._char_analyzer(normalized))):
            block_cols, block_w = [], []
            for feat, count in Counter(feats).items():
                col = self.vocabulary_.get(f"{prefix}|{feat}")
                if col is not None and self.idf_[col] >= self.min_feature_idf:
                    block_cols.append(col)
                    block_w.append((1.0 + math.log(count)) * float(self.idf_[col]))
            norm = math.sqrt(sum(w * w for w in block_w))
            if norm and self._block_weight(prefix) > 0:
                scale = math.sqrt(self._block_weight(prefix)) / norm
                cols.extend(block_cols)
                weights.extend(w * scale for w in block_w)
        return np.asarray(cols, dtype=np.int64), np.asarray(weights, dtype=np.float32)

    def cosines(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the TF-IDF cosines between the question and every example, and every intent centroid."""
        cols, weights = self.vectorize(normalized)
        return (_sparse_dot(cols, weights, self.indptr_, self.indices_, self.data_, len(self.examples_)),
                _sparse_dot(cols, weights, self.centroid_indptr_, self.centroid_indices_, self.centroid_data_,
                            len(self.intent_ids_)))

    def rank(self, normalized: str, top: int = 5, exclude: int | None = None) -> list[Candidate]:
        """Return up to `top` intents, best first, for an already normalised question.

        `exclude` leaves one example row out (leave-one-out evaluation).
        """
        self._check_fitted()
        if not normalized.strip():
            return []
        cos, centroid = self.cosines(normalized)
        if exclude is not None:
            cos[exclude] = 0.0
        k = min(self.shortlist, len(cos))
        shortlist = np.argpartition(-cos, k - 1)[:k] if k < len(cos) else np.arange(len(cos))
        best: dict[int, Candidate] = {}
        for row in shortlist:
            c = float(cos[row])
            if c <= 0.0:
                continue
            example = self.examples_[row]
            owner = int(self.example_intent_[row])
            # The centroid helps a question that mixes words of several examples; it never
            # lowers the score of a question that is close to one example.
            c = min(c, 1.0)
            tfidf = max(c, (1.0 - self.centroid_weight) * c + self.centroid_weight * min(float(centroid[owner]), 1.0))
            f = fuzz.token_sort_ratio(normalized, example) / 100.0
            score = self.tfidf_weight * tfidf + (1.0 - self.tfidf_weight) * f
            if owner not in best or score > best[owner].score:
                best[owner] = Candidate(self.intent_ids_[owner], round(score, 4), round(tfidf, 4), round(f, 4), example)
        return sorted(best.values(), key=lambda cand: -cand.score)[:top]

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
                     centroid_data=self.centroid_data_,
                     example_intent=self.example_intent_, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
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
        matcher.vocabulary_ = meta["vocabulary"]
        matcher.examples_ = meta["examples"]
        matcher.intent_ids_ = meta["intent_ids"]
        return matcher


def index_key(kb: KnowledgeBase, params: dict[str, float | int]) -> str:
    """Return a digest of everything the fitted index depends on."""
    digest = hashlib.sha256(json.dumps([INDEX_FORMAT, params], sort_keys=True).encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(Path(__file__).with_name("text.py").read_bytes())
    for intent_id in sorted(kb.intents):
        digest.update(json.dumps([intent_id, kb.intents[intent_id].examples]).encode())
    digest.update(json.dumps(kb.acronyms, sort_keys=True).encode())
    digest.update(repr(sorted(vars(kb.lexicon).items(), key=lambda kv: kv[0])).encode())
    return digest.hexdigest()[:20]


def fit_cached(kb: KnowledgeBase, params: dict[str, float | int], cache_dir: Path | None) -> IntentMatcher:
    """Load the index for this data from `cache_dir`, or fit it and store it there."""
    path = cache_dir / f"index-{index_key(kb, params)}.npz" if cache_dir else None
    if path is not None and path.exists():
        try:
            return IntentMatcher.load(path)
        except (OSError, ValueError, KeyError):
            pass  # a stale or damaged cache is rebuilt below
    matcher = IntentMatcher(**params).fit(kb)  # type: ignore[arg-type]
    if path is not None:
        try:
            matcher.save(path)
            for old in path.parent.glob("index-*.npz"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only install still works, it just refits at start-up
    return matcher
