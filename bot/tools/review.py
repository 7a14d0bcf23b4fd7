"""`faqbot review`: group the unanswered log's questions and suggest what the data could do about them."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.config import DecisionSettings
from bot.dialogue import Conversation, asked_facet, focused_subjects
from bot.engine import ANSWERED, Engine
from bot.guard import STEM_LETTERS
from bot.knowledge import KnowledgeBase
from bot.reply import CandidateReport
from bot.text import content_tokens, strip_accents


@dataclass
class ReviewGroup:
    """Similar unanswered questions, with what the data could do about them."""

    questions: list[tuple[str, int]]  # (question as asked, times), most asked first
    count: int
    nearest: str | None  # the intent ranked first for most of the questions
    score: float  # its mean confidence over them
    action: str  # "add_examples" | "new_intent" | "answered_now"
    statuses: Counter[str] = field(default_factory=Counter)
    last_seen: str = ""
    missing: list[str] = field(default_factory=list)  # key terms of the questions the nearest intent lacks

    @property
    def suggestion(self) -> str:
        if self.action == "answered_now":
            return (f"answered as {self.nearest} when asked alone now: check the answer is right "
                    "(a follow-up may have lacked its context)")
        if self.action == "add_examples":
            return f"add these as examples of intent {self.nearest} (if its answer answers them)"
        lacks = f"; {self.nearest} lacks the words {', '.join(self.missing)}" if self.nearest and self.missing else ""
        return f"new intent, if the source document answers it{lacks}"

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "questions": [{"text": t, "count": n} for t, n in self.questions],
                "nearest_intent": self.nearest, "score": round(self.score, 3), "action": self.action,
                "suggestion": self.suggestion, "missing_terms": self.missing, "statuses": dict(self.statuses),
                "last_seen": self.last_seen}


@dataclass
class _Question:
    text: str
    normalized: str
    count: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    last_seen: str = ""
    variants: Counter[str] = field(default_factory=Counter)


MAX_REVIEWED = 2000  # distinct questions grouped (most asked first): keeps review quadratic but small
SIMILARITY = 0.5  # how alike (0-1) a question must be to a group's questions to join it (`--similarity`)
MISSING_TERMS_SHOWN = 5  # key terms of a group the nearest intent does not cover, listed most frequent first
QUESTIONS_SHOWN = 8  # questions of a group printed for the maintainer...
QUESTION_CHARS_SHOWN = 120  # ... each clipped to this many characters
_SUBJECT_WEIGHT = 0.35  # "DCI", "Nouakchott": shared by many questions, they say little about what is asked


def _features(normalized: str) -> set[str]:
    """Return a question's key terms and their stems ("dirige", "dirig*")."""
    tokens = content_tokens(normalized)
    return set(tokens) | {t[:STEM_LETTERS] + "*" for t in tokens if len(t) > STEM_LETTERS}


def _question_vectors(questions: list[_Question], kb: KnowledgeBase) -> Any:
    """Return L2-normalised TF-IDF rows of key terms; IDF counts the intents' examples too."""
    import numpy as np
    from scipy.sparse import csr_matrix

    docs = [_features(kb.normalize(e)) for i in kb.intents.values() for e in i.examples]
    rows = [_features(q.normalized) for q in questions]
    df = Counter(f for d in docs + rows for f in d)
    n = len(docs) + len(rows)
    subject_words = {w for s in kb.subjects.values() for alias in s.aliases for w in alias.split()}
    subject_words |= {w[:STEM_LETTERS] + "*" for w in subject_words if len(w) > STEM_LETTERS}
    vocab: dict[str, int] = {}
    data, cols, indptr = [], [], [0]
    for feats in rows:
        weights = {f: (math.log((1 + n) / (1 + df[f])) + 1) * (_SUBJECT_WEIGHT if f in subject_words else 1.0)
                   for f in feats}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for f, w in weights.items():
            cols.append(vocab.setdefault(f, len(vocab)))
            data.append(w / norm)
        indptr.append(len(cols))
    return csr_matrix((np.asarray(data, dtype=np.float64), cols, indptr), shape=(len(rows), max(len(vocab), 1)))


MAX_QUESTION_CHARS = 300  # longer lines are pasted text or a flood, not questions
_MIN_LETTERS = 2  # a line with fewer letters asks nothing (« ??? », « 5 »)
_FEW_DISTINCT_LETTERS = 2  # a line of this many different letters at most...
_REPEAT_LETTERS = 4  # ... and more letters than this is one letter or syllable repeated ("hahahaha")
_CHECKED_WORD_LETTERS = 3  # only words longer than this are judged gibberish or not
_GIBBERISH_RE = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}", re.IGNORECASE)  # "asdfghjkl"
_SAME_ASK_BONUS = 0.35  # two questions asking the same facet of the same subjects: "effectif" / "combien d'agents"


def is_noise(text: str) -> bool:
    """Tell whether a logged line is no question at all: no letters (« ??? »), gibberish, a flood of text."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < _MIN_LETTERS or len(text) > MAX_QUESTION_CHARS:
        return True
    if len(set(letters)) <= _FEW_DISTINCT_LETTERS and len(letters) > _REPEAT_LETTERS:  # "xxxxxxxx", "hahahaha"
        return True
    words = [w for w in re.findall(r"[^\W\d_]+", strip_accents(text)) if len(w) > _CHECKED_WORD_LETTERS]
    return bool(words) and all(_GIBBERISH_RE.search(w) for w in words)


def _similarity(questions: list[_Question], kb: KnowledgeBase) -> Any:
    """Return how alike each pair of questions is, 0-1: TF-IDF of key terms, rapidfuzz for spellings, and a bonus
    when they ask the same facet of the same subjects (paraphrases with other words)."""
    import numpy as np
    from rapidfuzz import fuzz, process

    vectors = _question_vectors(questions, kb)
    similarity = (vectors @ vectors.T).toarray()
    norms = [q.normalized for q in questions]
    fuzzy = process.cdist(norms, norms, scorer=fuzz.token_sort_ratio, workers=1) / 100.0
    similarity = np.maximum(similarity, fuzzy**2)
    asks = [(asked_facet(kb, n), tuple(sorted(focused_subjects(kb, n)))) for n in norms]
    same = np.array([[a[0] != "" and a == b for b in asks] for a in asks], dtype=bool)
    return np.minimum(similarity + _SAME_ASK_BONUS * same, 1.0)


def group_questions(entries: Iterable[dict[str, Any]], kb: KnowledgeBase,
                    bound: float = SIMILARITY) -> list[list[_Question]]:
    """Group similar questions: the same question once normalised, then by shared key terms.

    Greedy average link: each distinct question (most asked first) joins the group whose
    members it resembles most on average (TF-IDF cosine of key terms) if that reaches `bound`.
    """
    import numpy as np

    unique: dict[str, _Question] = {}
    for entry in entries:
        text = str(entry.get("question", "")).strip()
        if not text or is_noise(text):
            continue
        normalized = kb.normalize(text)
        q = unique.setdefault(normalized, _Question(text, normalized))
        q.count += 1
        q.variants[text] += 1
        q.statuses[str(entry.get("status", "?"))] += 1
        q.last_seen = max(q.last_seen, str(entry.get("time", "")))
    questions = sorted(unique.values(), key=lambda q: (-q.count, q.last_seen, q.normalized))[:MAX_REVIEWED]
    if not questions:
        return []
    for q in questions:
        q.text = q.variants.most_common(1)[0][0]
    similarity = _similarity(questions, kb)
    labels = np.full(len(questions), -1)
    sizes: list[int] = []
    for i in range(len(questions)):
        if sizes:
            means = np.bincount(labels[:i], weights=similarity[i, :i], minlength=len(sizes)) / np.asarray(sizes)
            best = int(np.argmax(means))
            if means[best] >= bound:
                labels[i] = best
                sizes[best] += 1
                continue
        labels[i] = len(sizes)
        sizes.append(1)
    groups: list[list[_Question]] = [[] for _ in sizes]
    for q, label in zip(questions, labels, strict=True):
        groups[label].append(q)
    return groups


def _fits(candidate: CandidateReport, d: DecisionSettings) -> bool:
    """Tell whether a question probably belongs to its nearest intent, which lacks examples like it.

    It does when the key-term guard accepts the intent and the score is high enough to offer it.
    """
    return candidate.guard.passed and candidate.score >= d.clarify_threshold


def review(engine: Engine, entries: Iterable[dict[str, Any]], bound: float = SIMILARITY) -> list[ReviewGroup]:
    """Group the logged questions, most asked first, with the nearest intent and a suggestion.

    The questions are asked again to find their nearest intent in the current data, through a
    copy of the engine that logs nothing: reviewing the log must not grow it.
    """
    engine = engine.without_recorder()
    d = engine.config.decision
    result = []
    for members in group_questions(entries, engine.kb, bound):
        tops: list[tuple[str | None, float, bool, int]] = []  # (intent, score, fit to answer, times)
        uncovered: list[tuple[str, tuple[str, ...]]] = []  # (top intent, its uncovered key terms)
        answered = 0
        for q in members:
            reply = engine.reply(q.text, Conversation(), channel="review")
            answered += (reply.status == ANSWERED) * q.count
            top = reply.explanation.candidates[0] if reply.explanation.candidates else None
            if top is None:
                tops.append((None, 0.0, False, q.count))
            else:
                tops.append((top.intent, float(top.score), _fits(top, d), q.count))
                uncovered.append((top.intent, top.guard.uncovered))
        count = sum(q.count for q in members)
        votes: Counter[str] = Counter()
        for intent, _, _, times in tops:
            if intent:
                votes[intent] += times
        nearest = votes.most_common(1)[0][0] if votes else None
        scores = [score for intent, score, _, _ in tops if intent == nearest]
        missing = Counter(t for intent, terms in uncovered if intent == nearest for t in terms)
        fit = sum(times for intent, _, ok, times in tops if intent == nearest and ok)
        if answered * 2 > count:
            action = "answered_now"
        elif fit * 2 > count:
            action = "add_examples"
        else:
            action = "new_intent"
        statuses: Counter[str] = Counter()
        for q in members:
            statuses.update(q.statuses)
        result.append(ReviewGroup([(q.text, q.count) for q in members], count, nearest,
                                  sum(scores) / len(scores) if scores else 0.0, action, statuses,
                                  max(q.last_seen for q in members),
                                  [t for t, _ in missing.most_common(MISSING_TERMS_SHOWN)]))
    return sorted(result, key=lambda g: (-g.count, -len(g.questions), g.questions[0][0]))


def format_review(groups: list[ReviewGroup], total: int, source: str, limit: int | None = None,
                  noise: int = 0) -> str:
    """Render the review for a person: groups by frequency, their questions and a suggestion."""
    dropped = f" ({noise} line(s) that are no question left out: « ??? », gibberish, floods)" if noise else ""
    if not groups:
        return f"no unanswered questions in {source}{dropped}"
    shown = groups[:limit] if limit else groups
    lines = [f"{total} unanswered question(s) in {len(groups)} group(s), most asked first ({source}){dropped}:"]
    for n, g in enumerate(shown, 1):
        near = f"nearest {g.nearest} ({g.score:.2f})" if g.nearest else "no similar intent"
        lines += ["", f"{n}. {g.count}x, {near}: {g.suggestion}"]
        lines += [f"     {text[:QUESTION_CHARS_SHOWN]}" + (f"  ({times}x)" if times > 1 else "")
                  for text, times in g.questions[:QUESTIONS_SHOWN]]
        if len(g.questions) > QUESTIONS_SHOWN:
            lines.append(f"     ... and {len(g.questions) - QUESTIONS_SHOWN} more")
    if len(shown) < len(groups):
        lines += ["", f"({len(groups) - len(shown)} more group(s); use --limit 0 to see all)"]
    return "\n".join(lines)

