"""Learn the decision from questions the matcher did not train on.

The intents' examples and the out-of-scope examples are split into stratified folds. For each
fold a matcher is fitted on the other folds, and every question of the fold is ranked: the best
allowed candidate's FEATURES, and whether answering it would be right (the labelled intent; never
for an out-of-scope question), make one row. A logistic regression fitted on those rows is the
decision model; its answer threshold is the lowest probability whose out-of-fold precision
reaches ``target_precision``, and the share of uncovered key terms above which the guard vetoes a
candidate is chosen by the same cross-validation. These rows give `faqbot eval --cross-validation`
its figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.config import DecisionSettings
from bot.decision import DecisionModel, features
from bot.dialogue import focused_subjects
from bot.index_cache import fit_cached, index_key, training_data
from bot.knowledge import KnowledgeBase
from bot.matcher import OUT_OF_SCOPE, IntentMatcher
from bot.ranking import Ranker, Ranking
from bot.writable import warn_unwritable

MIN_THRESHOLD = 0.5  # never answer what the model thinks more likely wrong than right
UNREACHED = 1.01  # the threshold when no probability reaches the target precision: above all, nothing is answered
SHARES = (0.5, 0.67, 1.0)  # shares of uncovered key terms the guard may veto above, besides max_uncovered
MIN_LANGUAGE_ROWS = 150  # a language with fewer out-of-fold questions uses the threshold learned on all


@dataclass(frozen=True)
class Row:
    """One held-out question: its label, its fold, the best allowed candidate and its FEATURES."""

    text: str
    label: str
    fold: int
    predicted: str | None  # the best allowed candidate (None: the guard vetoed all)
    x: tuple[float, ...]
    language: str = "fr"

    @property
    def right(self) -> bool:
        return self.label != OUT_OF_SCOPE and self.predicted == self.label


def fitting_workers() -> int:
    """Return how many models may be fitted at once: the cores this process may use, at most two
    (each fit holds its own copy of the training matrix)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cores))


def assign_folds(texts: Sequence[str], labels: Sequence[str], folds: int) -> list[int]:
    """Return a fold number per example, drawn from a digest of the example itself (its text and label).

    Adding, editing or removing an example moves no other example between folds, so a small edit
    of the data makes a small change of what is learned from it. Assigning each label's examples
    in turn, by rank, balanced the folds exactly but moved the examples ranked after an edited one:
    removing 5 examples of 3,787 moved the French answer threshold by up to 0.017 that way, by 0.004
    this way. A label's examples are spread over the folds at random, about evenly when it has the
    eight examples `faqbot check` asks for.
    """
    return [_digest(f"{label}\n{text}") % folds for text, label in zip(texts, labels, strict=True)]


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _languages(kb: KnowledgeBase) -> dict[str, str]:
    """Return the language of each normalised example: its intent's language list, or detected (out of scope)."""
    from bot.language import detect

    found = {kb.normalize(q): detect(q, kb) or "fr" for q in kb.out_of_scope}
    for intent in kb.intents.values():
        for language, examples in intent.by_language.items():
            found.update((kb.normalize(e), language) for e in examples)
    return found


def _scored(texts: Sequence[str], labels: Sequence[str], max_rows: int | None) -> list[int]:
    """Return the examples to rank: all of them, or a sample of `max_rows` keeping every out-of-scope one.

    The sample is drawn by digest of the texts, like the folds: an edit of the data changes it little.
    """
    everything = list(range(len(labels)))
    if max_rows is None or len(labels) <= max_rows:
        return everything
    out = [i for i in everything if labels[i] == OUT_OF_SCOPE]
    rest = sorted((i for i in everything if labels[i] != OUT_OF_SCOPE), key=lambda i: (_digest(texts[i]), i))
    return sorted(out + rest[:max(0, max_rows - len(out))])


def held_out_groups(scored: int, examples: int, folds: int) -> int:
    """Return how many matchers rank the scored questions, each holding out at most 1/`folds` of the examples.

    Usually one per fold (plain k-fold). A small sample of a large data set needs fewer: CLINC150's
    3,000 sampled questions of 15,000 are ranked by one matcher fitted on the other 12,000, three
    times cheaper than three matchers fitted on 10,000 each.
    """
    return max(1, min(folds, math.ceil(scored * folds / max(1, examples))))


@dataclass(frozen=True)
class Ranked:
    """One held-out question with its ranking, before the guard's share veto is applied."""

    text: str
    label: str
    fold: int
    language: str
    ranking: Ranking


def out_of_fold_rankings(kb: KnowledgeBase, params: dict[str, float | int], settings: DecisionSettings,
                         folds: int, progress: Callable[[str], None] | None = None,
                         max_rows: int | None = None) -> list[Ranked]:
    """Rank the examples, each with a matcher that did not train on it, and spread them over `folds` folds.

    `max_rows` bounds the questions ranked (a sample drawn by digest, every out-of-scope example kept):
    the decision has few parameters, and ranking every example of a large data set would cost
    more than fitting it. The folds are those the decision is cross-validated on; the matchers
    ranking them hold out whole folds (see `held_out_groups`).
    """
    texts, labels = training_data(kb)
    language_of = _languages(kb)
    fold_of = assign_folds(texts, labels, folds)
    scored = _scored(texts, labels, max_rows)
    groups = held_out_groups(len(scored), len(texts), folds)

    def rank_group(g: int) -> list[Ranked]:
        if progress:
            progress(f"calibration: held-out part {g + 1}/{groups}")
        if groups == folds:  # k-fold: the matcher holds out its whole fold, of which the sample is ranked
            held_set = {i for i in range(len(texts)) if fold_of[i] == g}
        else:  # the sample fits in fewer folds' worth: only the sampled questions are held out
            held_set = {i for i in scored if fold_of[i] % groups == g}
        held = [i for i in scored if i in held_set]
        train = [i for i in range(len(texts)) if i not in held_set]
        matcher = IntentMatcher(**params).fit([texts[i] for i in train], [labels[i] for i in train])  # type: ignore[arg-type]
        ranker = Ranker(kb, matcher, settings)
        return [Ranked(texts[i], labels[i], fold_of[i], language_of.get(texts[i], "fr"),
                       ranker.rank(texts[i], focused_subjects(kb, texts[i])))
                for i in held]

    # The parts are independent and fitting releases the GIL in places: two are fitted side by side.
    with ThreadPoolExecutor(max_workers=min(groups, fitting_workers())) as pool:
        ranked = [row for rows in pool.map(rank_group, range(groups)) for row in rows]
    return sorted(ranked, key=lambda r: r.fold)  # stable: by fold, then as the examples are listed


def rows_at(ranked: Sequence[Ranked], max_uncovered: float) -> list[Row]:
    """Return the decision rows of the ranked questions when the guard vetoes above `max_uncovered`."""
    rows = []
    for r in ranked:
        allowed = r.ranking.allowed(max_uncovered)
        if not allowed:
            rows.append(Row(r.text, r.label, r.fold, None, (), r.language))
            continue
        x = tuple(features(r.ranking, allowed[0], allowed[1] if len(allowed) > 1 else None, max_uncovered))
        rows.append(Row(r.text, r.label, r.fold, allowed[0].intent, x, r.language))
    return rows


def learn(ranked: Sequence[Ranked], settings: DecisionSettings) -> tuple[DecisionModel, list[Row]]:
    """Choose the guard's share veto by cross-validation, then fit the decision on every row at that share.

    Each candidate share (from [decision] max_uncovered, the strictest, to never) is scored on
    folds the decision was not fitted on by in-scope accuracy plus out-of-scope rejection: two
    rates, so that the few out-of-scope questions weigh as much as the many in-scope ones. A data
    set whose questions name free-text things (« define antebellum ») needs a looser veto than one
    whose every word the page must cover: the veto is loosened to the best share only when that
    gains more than ``[decision] veto_margin`` over the strictest. Smaller differences are within
    what another split of the data would change, and the out-of-scope examples do not show every
    kind of question the data cannot answer: the stricter veto answers fewer wrong.
    """
    shares = sorted({settings.max_uncovered, *SHARES})
    means = [statistics.fmean(_balanced_by_fold(cross_validate(rows_at(ranked, share), settings, share)))
             for share in shares]
    best = max(range(len(shares)), key=means.__getitem__)
    share = shares[best] if means[best] > means[0] + settings.veto_margin else shares[0]
    rows = rows_at(ranked, share)
    return fit_model(rows, settings.target_precision, share), rows


def _balanced_by_fold(scores: Sequence[FoldScore]) -> list[float]:
    """Return each fold's in-scope accuracy plus out-of-scope rejection (a rate missing counts as 1)."""
    return [(s.accuracy if s.in_scope else 1.0) + (s.rejection if s.out_of_scope else 1.0) for s in scores]


def fit_model(rows: Sequence[Row], target_precision: float, max_uncovered: float) -> DecisionModel:
    """Fit the logistic regression on the rows that have a candidate; learn the answer threshold."""
    from sklearn.linear_model import LogisticRegression  # slow import: fitting only

    scored = [r for r in rows if r.x]
    x = np.asarray([r.x for r in scored], dtype=np.float64)
    y = np.asarray([r.right for r in scored], dtype=np.int8)
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    if len(set(y.tolist())) < 2:  # degenerate data: every row right (or wrong)
        return DecisionModel(tuple([0.0] * x.shape[1]), 4.0 if y.all() else -4.0, tuple(mean.tolist()),
                             tuple(scale.tolist()), MIN_THRESHOLD, {}, max_uncovered)
    lr = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / scale, y)
    model = DecisionModel(tuple(float(c) for c in lr.coef_[0]), float(lr.intercept_[0]), tuple(mean.tolist()),
                          tuple(scale.tolist()), MIN_THRESHOLD, {}, max_uncovered)
    probabilities = [model.probability(r.x) for r in scored]
    thresholds = {}
    for language in sorted({r.language for r in scored}):
        mine = [i for i, r in enumerate(scored) if r.language == language]
        if len(mine) >= MIN_LANGUAGE_ROWS:
            thresholds[language] = answer_threshold([probabilities[i] for i in mine],
                                                    target_precision)
    return DecisionModel(model.coef, model.intercept, model.mean, model.scale,
                         answer_threshold(probabilities, target_precision), thresholds, max_uncovered)


def answer_threshold(probabilities: Sequence[float], target_precision: float) -> float:
    """Return the lowest threshold (>= MIN_THRESHOLD) above which the rows' mean probability reaches the target.

    The model's probabilities, fitted on these rows, estimate the precision above a threshold; the
    wrong answers themselves are too few near the top to count: with counts, the French threshold
    moved between 0.78 and 0.86 over three splits of the same data, with probabilities 0.88–0.92.
    When even the surest rows fall short of the target, it is UNREACHED: the data answers nothing.
    """
    best = UNREACHED
    answered = 0
    expected = 0.0
    for p in sorted(probabilities, reverse=True):
        if p < MIN_THRESHOLD:
            break
        answered += 1
        expected += p
        if expected / answered >= target_precision:
            best = p
    return round(max(best, MIN_THRESHOLD), 4)


def decision_key(kb: KnowledgeBase, params: dict[str, float | int], settings: DecisionSettings) -> str:
    """Return a digest of everything the decision model depends on."""
    digest = hashlib.sha256(index_key(kb, params).encode())
    digest.update(json.dumps(asdict(settings), sort_keys=True).encode())
    # What the key-term guard reads besides the examples: the answers' words, the subjects, the facets.
    guarded = {
        "answers": {k: [a.title, a.text, a.titles, a.texts] for k, a in kb.answers.items()},
        "intents": {k: [i.answer, i.subject, i.facet] for k, i in kb.intents.items()},
        "subjects": {k: [s.aliases, s.described, s.part_of, sorted(s.members), sorted(s.places)]
                     for k, s in kb.subjects.items()},
        "facets": kb.facets, "exclusive": sorted(kb.exclusive_facets),
        "trigger_languages": {t: sorted(languages) for t, languages in kb.trigger_languages.items()},
    }
    digest.update(json.dumps(guarded, sort_keys=True).encode())
    for module in ("calibration.py", "decision.py", "ranking.py", "guard.py", "spelling.py", "dialogue.py",
                   "knowledge.py", "reader.py"):
        digest.update(Path(__file__).with_name(module).read_bytes())
    return digest.hexdigest()[:20]


def fit_decision_cached(kb: KnowledgeBase, params: dict[str, float | int], settings: DecisionSettings,
                        cache_dir: Path | None) -> DecisionModel:
    """Load the decision model for this data from `cache_dir`, or learn it out of fold and store it there."""
    path = cache_dir / f"decision-{decision_key(kb, params, settings)}.json" if cache_dir else None
    if path is not None and path.exists():
        try:
            return DecisionModel.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a stale or damaged cache is learned again below
    ranked = out_of_fold_rankings(kb, params, settings, settings.calibration_folds, max_rows=settings.calibration_rows)
    model, _rows = learn(ranked, settings)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(model.to_json(), encoding="utf-8")
            os.replace(tmp, path)
            for old in path.parent.glob("decision-*.json"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            warn_unwritable("decision cache", path, exc, "every start learns the decision again (about 10 s)")
    return model


def fit_models_cached(kb: KnowledgeBase, params: dict[str, float | int], settings: DecisionSettings,
                      cache_dir: Path | None) -> tuple[IntentMatcher, DecisionModel]:
    """Return the matcher and the decision model for this data, from `cache_dir` or fitted side by side."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        model = pool.submit(fit_decision_cached, kb, params, settings, cache_dir)
        matcher = fit_cached(kb, params, cache_dir)
        return matcher, model.result()


@dataclass(frozen=True)
class FoldScore:
    """How the learned decision does on one fold it was not fitted on."""

    fold: int
    in_scope: int
    answered_right: int
    out_of_scope: int
    rejected: int
    wrong: int
    clarified: int

    @property
    def accuracy(self) -> float:
        return self.answered_right / self.in_scope if self.in_scope else 0.0

    @property
    def rejection(self) -> float:
        return self.rejected / self.out_of_scope if self.out_of_scope else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / (self.in_scope + self.out_of_scope) if self.in_scope + self.out_of_scope else 0.0


def cross_validate(rows: Sequence[Row], settings: DecisionSettings, max_uncovered: float) -> list[FoldScore]:
    """Score each fold with a decision model fitted on the other folds' rows (nothing it saw is scored)."""
    return cross_validate_by_language(rows, settings, max_uncovered)[None]


def cross_validate_by_language(rows: Sequence[Row], settings: DecisionSettings,
                               max_uncovered: float) -> dict[str | None, list[FoldScore]]:
    """Score each fold on every question (key None) and on each language's alone, one model per fold.

    The model of a fold learns from the other folds' questions of every language.
    """
    languages = sorted({r.language for r in rows})
    scores: dict[str | None, list[FoldScore]] = {key: [] for key in [None, *languages]}
    for f in sorted({r.fold for r in rows}):
        model = fit_model([r for r in rows if r.fold != f], settings.target_precision, max_uncovered)
        held = [r for r in rows if r.fold == f]
        for key in scores:
            scores[key].append(_fold_score(f, [r for r in held if key in (None, r.language)], model, settings))
    return scores


def _fold_score(fold: int, held: Sequence[Row], model: DecisionModel, settings: DecisionSettings) -> FoldScore:
    right = wrong = rejected = clarified = 0
    for r in held:
        p = model.probability(r.x) if r.x else 0.0
        answered = p >= model.threshold(r.language)
        clarified += (not answered) and p >= settings.clarify_threshold
        if r.label == OUT_OF_SCOPE:
            rejected += not answered
            wrong += answered
        else:
            right += answered and r.predicted == r.label
            wrong += answered and r.predicted != r.label
    n_oos = sum(r.label == OUT_OF_SCOPE for r in held)
    return FoldScore(fold, len(held) - n_oos, right, n_oos, rejected, wrong, clarified)
