"""Per-conversation context and the resolution of follow-ups ("et son mail ?") against it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge import Intent, KnowledgeBase
from bot.text import content_tokens, find_phrases

# Words that only glue a follow-up together ("et pour l'ASI ?").
_FOLLOW_UP_GLUE = frozenset({"et", "pour", "sur", "concernant", "alors", "ou", "encore"})


@dataclass
class Conversation:
    """What one user talked about last; plain data so front ends can persist it."""

    subject: str = ""
    facet: str = ""
    intent: str = ""
    updated: float = 0.0
    suggestions: tuple[str, ...] = field(default_factory=tuple)

    def topic(self, now: float, ttl: float) -> tuple[str, str] | None:
        """Return (subject, facet) of the last answer if it is recent enough."""
        if self.subject and now - self.updated <= ttl:
            return self.subject, self.facet
        return None

    def remember(self, intent: Intent, now: float) -> None:
        """Record an answered intent; small talk keeps the current subject."""
        if intent.subject:
            self.subject, self.facet = intent.subject, intent.facet
        self.intent = intent.id
        self.updated = now
        self.suggestions = ()


@dataclass(frozen=True)
class FollowUp:
    """A question resolved against the context: `intent` is None when the data has no answer."""

    subject: str
    facet: str
    intent: Intent | None


def mentioned_subjects(kb: KnowledgeBase, normalized: str) -> list[str]:
    """Return the subjects a normalised question names, in order of appearance."""
    aliases = {alias: sid for sid, subject in kb.subjects.items() for alias in subject.aliases}
    return list(dict.fromkeys(aliases[phrase] for _, _, phrase in find_phrases(normalized, aliases)))


def asked_facet(kb: KnowledgeBase, normalized: str) -> str:
    """Return the facet a question asks about ("" if none), by its trigger phrases."""
    triggers = {t: fid for fid, ts in kb.facets.items() for t in ts}
    spans = find_phrases(normalized, triggers)
    if not spans:
        return ""
    # The longest trigger is the most specific one ("adresse mail" beats "adresse").
    start, end, phrase = max(spans, key=lambda span: (span[1] - span[0], -span[0]))
    return triggers[phrase]


def resolve_follow_up(kb: KnowledgeBase, normalized: str, context: tuple[str, str] | None) -> FollowUp | None:
    """Resolve a question that needs the previous topic, or return None if it stands alone."""
    if context is None:
        return None
    subject, facet = context
    named = mentioned_subjects(kb, normalized)
    if not named:
        asked = asked_facet(kb, normalized)
        if asked:
            return FollowUp(subject, asked, kb.intent_for(subject, asked))
        return None
    # "et l'ASI ?": a bare new subject asks the same facet about it.
    alias_words = {w for sid in named for alias in kb.subjects[sid].aliases for w in alias.split()}
    rest = [t for t in content_tokens(normalized) if t not in alias_words and t not in _FOLLOW_UP_GLUE]
    if len(named) == 1 and not rest and facet and kb.subjects[named[0]].described:
        intent = kb.intent_for(named[0], facet)
        if intent is not None:
            return FollowUp(named[0], facet, intent)
    return None
