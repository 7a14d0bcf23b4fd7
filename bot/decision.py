"""Answer, clarify or fall back: the one decision rule, used by the engine and the tools alike.

Which evidence makes an answer right is learned, not hand-set. A logistic regression, fitted on
questions the matcher did not train on (out-of-fold examples of the intents and of the
out-of-scope class, see `bot.calibration`), turns the best candidate's evidence (`FEATURES`) into
the probability that answering it is right. That probability is the reply's confidence:

- a candidate the key-term guard vetoes (a subject it is not about, a datum it does not give,
  more of the question's key terms uncovered than the learned share) is dropped first;
- the best remaining candidate is answered when the probability reaches the model's answer
  threshold for the question's language, learned as the lowest one whose out-of-fold precision
  reaches ``[decision] target_precision``;
- up to ``max_suggestions`` choices are offered when it reaches ``clarify_threshold``: the
  candidates ranked within ``clarify_spread`` of the best one;
- otherwise the engine falls back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from bot.config import DecisionSettings
from bot.ranking import Evidence, Ranking, vetoed

ANSWERED, CLARIFY, FALLBACK = "answered", "clarify", "fallback"

FEATURES = (
    "score",  # ranking score of the best candidate
    "margin",  # its lead over the runner-up
    "classifier",  # the classifier's probability (the similarity when there is no classifier)
    "classifier_margin",  # its lead over the runner-up's probability
    "tfidf",
    "fuzzy",
    "coverage",  # share of the question's key terms (weighted by rarity) the candidate covers
    "uncovered",  # the guard's weighted share of uncovered key terms
    "subject_named",  # the question names the candidate's subject
    "out_of_scope",  # how close the question is to the out-of-scope examples
    "vetoed_above",  # the lead of a candidate the guard vetoed over the best allowed one (0 if none)
    "key_terms",  # log(1 + number of key terms)
)


def features(ranking: Ranking, best: Evidence, runner_up: Evidence | None, max_uncovered: float) -> list[float]:
    """Return the FEATURES of answering `best` (the top allowed candidate of `ranking`)."""
    m = best.matcher
    p1 = m.classifier if m.classifier is not None else m.score
    p2 = 0.0
    if runner_up is not None:
        p2 = runner_up.matcher.classifier if runner_up.matcher.classifier is not None else runner_up.matcher.score
    above = max((c.score for c in ranking.candidates if vetoed(c.verdict, max_uncovered)), default=0.0)
    return [best.score, best.score - (runner_up.score if runner_up else 0.0), p1, p1 - p2, m.tfidf, m.fuzzy,
            best.coverage, best.verdict.share,
            float(best.subject_named), ranking.out_of_scope, max(0.0, above - best.score),
            math.log1p(ranking.key_terms)]


@dataclass(frozen=True)
class DecisionModel:
    """A fitted logistic regression over standardised FEATURES, and the answer thresholds learned with it.

    `answer_threshold` is learned on every out-of-fold question, `thresholds` on the questions of
    each language that has enough of them: a language the matcher ranks less well needs a higher one.
    """

    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    answer_threshold: float
    thresholds: dict[str, float] = field(default_factory=dict)
    max_uncovered: float = 1.0  # the guard's veto on the share of uncovered key terms, learned with the model

    def threshold(self, language: str) -> float:
        """Return the answer threshold for questions in `language`."""
        return self.thresholds.get(language, self.answer_threshold)

    def silent_languages(self) -> list[str]:
        """Return the languages with a threshold of their own in which no question is ever answered
        (["*"] when the one threshold of data without per-language ones is so).

        A threshold is above 1 when not even the out-of-fold questions the model is surest of reach the
        target precision: data whose examples the matcher ranks too poorly to answer anything.
        """
        thresholds = self.thresholds or {"*": self.answer_threshold}
        return sorted(language for language, t in thresholds.items() if t > 1.0)

    def probability(self, x: Sequence[float]) -> float:
        """Return the probability that answering the candidate described by `x` is right."""
        z = self.intercept + sum(c * (v - m) / s for c, v, m, s in zip(self.coef, x, self.mean, self.scale,
                                                                        strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DecisionModel:
        raw = json.loads(text)
        return cls(tuple(raw["coef"]), raw["intercept"], tuple(raw["mean"]), tuple(raw["scale"]),
                   raw["answer_threshold"], dict(raw.get("thresholds", {})), raw["max_uncovered"])


@dataclass(frozen=True)
class Decision:
    """What to do with a question: the status, the intent answered or offered, and why."""

    status: str
    intent: str | None
    confidence: float
    offered: tuple[str, ...]
    rule: str


def decide(ranking: Ranking, model: DecisionModel, settings: DecisionSettings, language: str = "fr") -> Decision:
    """Answer, clarify or fall back on a ranked question asked in `language`."""
    allowed = ranking.allowed(model.max_uncovered)
    if not allowed:
        rule = "the key-term guard vetoed every candidate" if ranking.candidates else "no candidate"
        return Decision(FALLBACK, None, 0.0, (), rule)
    best = allowed[0]
    runner_up = allowed[1] if len(allowed) > 1 else None
    p = round(model.probability(features(ranking, best, runner_up, model.max_uncovered)), 4)
    threshold = model.threshold(language)
    if p >= threshold:
        return Decision(ANSWERED, best.intent, p, (), f"probability {p:.2f} >= answer threshold {threshold:.2f}")
    offered = tuple(c.intent for c in allowed if c.score >= best.score - settings.clarify_spread)
    if p >= settings.clarify_threshold and offered:
        return Decision(CLARIFY, best.intent, p, offered[: settings.max_suggestions],
                        f"probability {p:.2f} < answer threshold {threshold:.2f}: clarify")
    return Decision(FALLBACK, best.intent, p, (), f"probability {p:.2f} < clarify threshold "
                                                  f"{settings.clarify_threshold:.2f}")
