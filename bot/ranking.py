"""Rank the intents for a question and gather the evidence the decision weighs.

The ranking score of an intent mixes the matcher's score with the share of the question's key
terms the intent covers and a bonus when the question names the intent's subject::

    score = ((1 - coverage_weight) * matcher score + coverage_weight * coverage
             + subject_bonus if the question names the intent's subject) / (1 + subject_bonus)

Each candidate keeps its sub-scores and the key-term guard's verdict, and the ranking keeps how
close the question is to the out-of-scope examples: `bot.decision` turns that evidence into a
probability of being right.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.config import DecisionSettings
from bot.guard import GuardVerdict, KeyTermGuard
from bot.knowledge import KnowledgeBase
from bot.matcher import OUT_OF_SCOPE, Candidate, IntentMatcher
from bot.reply import CandidateReport, GuardReport
from bot.text import content_tokens

CANDIDATES = 10  # intents ranked, judged by the guard and offered as suggestions, per question


@dataclass(frozen=True)
class Evidence:
    """One ranked intent: its ranking score, the matcher's sub-scores and the guard's verdict."""

    intent: str
    score: float
    matcher: Candidate
    coverage: float
    subject_named: bool
    verdict: GuardVerdict

    def report(self, max_uncovered: float) -> CandidateReport:
        """Return this candidate as the reply's explanation lists it."""
        c, verdict = self.matcher, self.verdict
        guard = GuardReport(verdict.uncovered, verdict.share, verdict.foreign_subjects, verdict.passed,
                            vetoed(verdict, max_uncovered), verdict.conflict, verdict.asked_uncovered,
                            verdict.owner_uncovered)
        return CandidateReport(self.intent, self.score, c.tfidf, c.fuzzy, c.classifier, round(self.coverage, 4),
                               c.example, guard)


@dataclass(frozen=True)
class Ranking:
    """The intents ranked for one question, best first, with what the decision needs besides."""

    candidates: tuple[Evidence, ...]
    out_of_scope: float  # the matcher's score of the out-of-scope examples (0 when not ranked)
    key_terms: int  # how many key terms the question has
    read_as: str = ""  # the question ranked: normalised, misspellings corrected

    def allowed(self, max_uncovered: float) -> tuple[Evidence, ...]:
        """Return the candidates the guard does not veto (see `vetoed`)."""
        return tuple(c for c in self.candidates if not vetoed(c.verdict, max_uncovered))


def vetoed(verdict: GuardVerdict, max_uncovered: float) -> bool:
    """Tell whether the guard's verdict rules a candidate out, whatever its scores.

    A subject the intent is not about, a datum it does not give, the very word asked after
    « quel » / « combien de » left uncovered, or more than `max_uncovered` of the question's key
    terms uncovered (learned per data set, see bot/calibration.py): the intent cannot answer. How
    much is uncovered below that share is evidence the decision weighs. The last complement's word
    left uncovered (« le fax de la douane ») vetoes too, unless uncovered words never veto in this
    data (`max_uncovered` 1): questions that name free-text things (« define antebellum », « how do
    you say butter in zambian ») have CLINC150's share loosened so, and their complements are such things.
    """
    return (verdict.conflict or verdict.asked_uncovered or verdict.share > max_uncovered
            or verdict.owner_uncovered and max_uncovered < 1)


class Ranker:
    """Rank a knowledge base's intents with a fitted matcher; the guard is built from the same examples."""

    def __init__(self, kb: KnowledgeBase, matcher: IntentMatcher, settings: DecisionSettings) -> None:
        self.kb = kb
        self.matcher = matcher
        self.settings = settings
        owners = [matcher.intent_ids_[i] for i in matcher.example_intent_]
        pairs = [(e, o) for e, o in zip(matcher.examples_, owners, strict=True) if o in kb.intents]
        self.guard = KeyTermGuard(kb, [e for e, _ in pairs], [o for _, o in pairs], settings.max_uncovered)

    def rank(self, normalized: str, named: list[str], top: int = CANDIDATES,
             unknown_names: frozenset[str] = frozenset()) -> Ranking:
        """Rank the intents for a normalised question, its misspellings corrected; `named` are the subjects it names.

        `unknown_names` are the names the question writes that the data does not use (« FBI »: bot/question.py,
        unknown_names): a question naming one is about something the page does not describe, which no intent
        answers.
        """
        s = self.settings
        normalized = self.guard.corrected(normalized)
        out_of_scope = 0.0
        ranked = []
        for c in self.matcher.rank(normalized, top=top + 1):
            if c.intent not in self.kb.intents:
                out_of_scope = max(out_of_scope, c.score) if c.intent == OUT_OF_SCOPE else out_of_scope
                continue
            coverage = self.guard.coverage(normalized, c.intent)
            named_subject = self.kb.intents[c.intent].subject in named
            score = (1 - s.coverage_weight) * c.score + s.coverage_weight * coverage + s.subject_bonus * named_subject
            verdict = self.guard.check(normalized, c.intent)
            if unknown_names:
                verdict = replace(verdict, passed=False, conflict=True)
            ranked.append(Evidence(c.intent, round(score / (1.0 + s.subject_bonus), 4), c, coverage, named_subject,
                                   verdict))
        ranked.sort(key=lambda e: -e.score)
        return Ranking(tuple(ranked[:top]), out_of_scope, len(content_tokens(normalized)), normalized)
