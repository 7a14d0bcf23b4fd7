"""TF-IDF features of normalised text and the sparse dot products the matcher uses.

The features are word unigrams and bigrams and character n-grams taken inside word boundaries
(scikit-learn's ``char_wb``); ``count_features`` counts them for a whole training set at once, as
scikit-learn's CountVectorizer would but vectorised with NumPy, and ``SUBLINEAR_TF`` memoises the
sublinear term frequency. ``sparse_dot`` and ``row_dots`` multiply the compressed matrices of the
fitted index by a question's sparse vector, and ``intent_centroids`` sums each intent's examples
into one normalised row: bot/matcher.py scores questions with these.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class _SublinearTF(dict[int, float]):
    """1 + log(count), scikit-learn's sublinear term frequency, computed once per count."""

    def __missing__(self, count: int) -> float:
        value = self[count] = 1.0 + math.log(count)
        return value


SUBLINEAR_TF = _SublinearTF()


def word_features(normalized: str) -> list[str]:
    """Return word unigrams and bigrams."""
    toks = normalized.split()
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]  # consecutive pairs


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


def _sorted_vocabulary(names: list[str], cols: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Renumber features in alphabetical order (scikit-learn's column order); return names and new columns."""
    order = sorted(range(len(names)), key=names.__getitem__)
    renumber = np.empty(len(names), dtype=np.int32)
    renumber[order] = np.arange(len(names), dtype=np.int32)
    return [names[i] for i in order], renumber[cols]


def count_features(texts: list[str], low: int, high: int) -> list[tuple[str, list[str], Any]]:
    """Count the word uni/bigrams and char_wb n-grams of every text, as scikit-learn's CountVectorizer
    would with `word_features` and `char_features`, but vectorised: n-grams are taken once per
    distinct word, then gathered for every occurrence with NumPy."""
    from scipy.sparse import csr_matrix

    words: dict[str, int] = {}
    token_ids: list[int] = []
    lengths: list[int] = []
    for text in texts:
        toks = text.split()
        lengths.append(len(toks))
        token_ids.extend([words.setdefault(t, len(words)) for t in toks])
    tok = np.asarray(token_ids, dtype=np.int64)
    row = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)
    n_words = len(words)
    word_list = list(words)
    # Word block: every token, then every pair of consecutive tokens of the same text.
    same = row[1:] == row[:-1]
    pair_keys, pair_ids = np.unique(tok[:-1][same] * n_words + tok[1:][same], return_inverse=True)
    w_names = word_list + [f"{word_list[k // n_words]} {word_list[k % n_words]}" for k in pair_keys.tolist()]
    w_rows = np.concatenate([row, row[:-1][same]])
    w_cols = np.concatenate([tok, n_words + pair_ids.ravel()])
    # Character block: the n-grams of each distinct word, repeated for each of its occurrences.
    grams: dict[str, int] = {}
    per_word = [[grams.setdefault(g, len(grams)) for g in char_features(w, low, high)] for w in word_list]
    word_len = np.fromiter((len(g) for g in per_word), dtype=np.int64, count=n_words)
    word_start = np.concatenate([[0], np.cumsum(word_len)[:-1]]) if n_words else np.zeros(0, dtype=np.int64)
    flat = np.fromiter((g for gs in per_word for g in gs), dtype=np.int32, count=int(word_len.sum()))
    occ_len = word_len[tok]
    total = int(occ_len.sum())
    index = np.int32 if total < 2**31 else np.int64  # halves the biggest temporaries
    c_rows = np.repeat(row, occ_len)
    offsets = np.repeat((word_start[tok] - np.cumsum(occ_len) + occ_len).astype(index), occ_len)
    offsets += np.arange(total, dtype=index)
    c_cols = flat[offsets]
    del offsets, occ_len
    blocks = []
    for prefix, names, rows, cols in (("w", w_names, w_rows, w_cols), ("c", list(grams), c_rows, c_cols)):
        names, cols = _sorted_vocabulary(names, cols)
        counts = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(names)))
        del rows, cols
        counts.sum_duplicates()
        counts.sort_indices()
        blocks.append((prefix, names, counts))
    return blocks


def sparse_dot(cols: np.ndarray, weights: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                data: np.ndarray, n_rows: int) -> np.ndarray:
    """Multiply a column-compressed matrix by a sparse query vector given as (columns, weights)."""
    if not len(cols):
        return np.zeros(n_rows, dtype=np.float64)
    starts = indptr[cols]
    lengths = indptr[cols + 1] - starts
    if lengths.sum() >= 256 * len(cols):
        # Long postings (a large knowledge base): copying one contiguous slice per feature is
        # cheaper than computing every offset. Same values in the same order as below.
        bounds = list(zip(starts.tolist(), (starts + lengths).tolist(), strict=True))
        rows = np.concatenate([indices[s:e] for s, e in bounds])
        values = np.concatenate([data[s:e] for s, e in bounds]) * np.repeat(weights, lengths)
        return np.bincount(rows, weights=values, minlength=n_rows)
    # Gather every posting of the question's features in one vectorised step.
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    values = data[offsets] * np.repeat(weights, lengths)
    return np.bincount(indices[offsets], weights=values, minlength=n_rows)


def row_dots(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
              data: np.ndarray, n_features: int) -> np.ndarray:
    """Return the dot products of some rows of a row-compressed matrix with a sparse query vector."""
    if not len(rows) or not len(cols):
        return np.zeros(len(rows), dtype=np.float64)
    query = np.zeros(n_features, dtype=np.float32)  # calloc: only the touched pages cost anything
    query[cols] = weights
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    values = data[offsets] * query[indices[offsets]]
    return np.bincount(np.repeat(np.arange(len(rows)), lengths), weights=values, minlength=len(rows))


def intent_centroids(matrix: Any, owners: np.ndarray, n_intents: int) -> Any:
    """Return one L2-normalised row per intent: the sum of its examples' TF-IDF rows."""
    from scipy.sparse import csr_matrix, diags

    membership = csr_matrix((np.ones(len(owners)), (owners, np.arange(len(owners)))), shape=(n_intents, len(owners)))
    summed = (membership @ matrix).tocsr()
    norms = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1))).ravel()
    return diags(1.0 / np.where(norms > 0, norms, 1.0)) @ summed


TOP_PREFILTER = 0.1  # share of the largest value above which the largest ones are looked for first


def top_positions(values: np.ndarray, k: int) -> np.ndarray:
    """Return the positions of the `k` largest values, in no particular order.

    Most cosines of a large knowledge base are near zero: the values above a tenth of the largest
    are found first (one vectorised comparison), and only those are partitioned when they suffice.
    """
    if k >= len(values):
        return np.arange(len(values))
    above = np.flatnonzero(values >= values.max() * TOP_PREFILTER)
    if len(above) >= k:
        return above[np.argpartition(-values[above], k - 1)[:k]] if len(above) > k else above
    return np.argpartition(-values, k - 1)[:k]
