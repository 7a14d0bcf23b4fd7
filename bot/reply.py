"""What the engine returns: a Reply, and the typed Explanation of why it replied so.

The engine fills the explanation while it decides; `faqbot ask --explain`, the console's /debug,
`faqbot eval`, `faqbot review` and the unanswered log read it. Nothing branches on its display strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.language import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class GuardReport:
    """The key-term guard's verdict on one candidate."""

    uncovered: tuple[str, ...] = ()  # key terms of the question the intent never mentions
    share: float = 0.0  # their share of the question's key terms
    foreign_subjects: tuple[str, ...] = ()  # subjects named that the intent is not about
    passed: bool = True
    vetoed: bool = False  # refused outright (conflict, the asked word uncovered, or too large a share)
    conflict: bool = False  # a subject, an identity question or a precise datum the intent cannot be about
    asked_uncovered: bool = False  # the word asked after « quel », « combien de » is not covered
    owner_uncovered: bool = False  # the last complement's word (« de la douane », « of the FBI ») is not covered


@dataclass(frozen=True)
class CandidateReport:
    """One ranked intent: its confidence, the matcher's sub-scores, its nearest example, the guard."""

    intent: str
    score: float
    tfidf: float = 0.0
    fuzzy: float = 0.0
    classifier: float | None = None  # the SVM's probability, when it is fitted
    coverage: float = 0.0
    example: str = ""
    guard: GuardReport = field(default_factory=GuardReport)


@dataclass
class Explanation:
    """What the engine read in the message, what it ranked and which rule decided."""

    rule: str = ""
    normalized: str = ""
    subjects: list[str] = field(default_factory=list)
    context: tuple[str, str] | None = None  # the conversation's (subject, facet), when it had one
    follow_up: str | None = None  # the subject a follow-up was resolved against
    candidates: list[CandidateReport] = field(default_factory=list)
    out_of_scope: float | None = None  # the out-of-scope class's score

    def to_json(self) -> dict[str, Any]:
        """Return the explanation as plain JSON data (`faqbot ask --explain --json`)."""
        data = asdict(self)
        data["context"] = list(self.context) if self.context else None
        return data


@dataclass(frozen=True)
class Suggestion:
    intent: str
    title: str


@dataclass(frozen=True)
class Reply:
    """The engine's decision and its words.

    `text` is the engine's own text in `language`: the answer, the fallback, an invitation. A
    clarify leaves the wording of its offer to each channel: its `text` is empty and the channel
    presents `suggestions` itself (the console numbers them between the catalogue's
    ``clarify_intro`` and ``clarify_outro``, Telegram shows them as buttons). The one clarify with a
    text is the reply to a number out of range of the pending choices: `text` asks for a number
    between 1 and n and is shown as it is, while `suggestions` keeps those choices pending.
    """

    question: str
    status: str
    text: str
    intent: str | None = None
    confidence: float = 0.0
    title: str = ""
    source: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    related: tuple[Suggestion, ...] = ()
    explanation: Explanation = field(default_factory=Explanation, compare=False)
    language: str = DEFAULT_LANGUAGE  # the language of `text`: "fr", "en" or "ar"

    def to_json(self, answer: str) -> dict[str, Any]:
        """Return the `faqbot ask --json` object, one per question (its fields are listed in the README).

        `answer` is the text the channel shows for this reply (the console's, for `faqbot ask`).
        """
        return {
            "question": self.question, "status": self.status, "intent": self.intent,
            "confidence": round(self.confidence, 3), "answer": answer,
            "suggestions": [asdict(s) for s in self.suggestions], "source": self.source,
            "language": self.language,
        }
