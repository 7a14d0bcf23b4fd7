"""Find what a long message asks: the clause with the question, not the sentences around it.

« Je suis historien et je travaille sur la coopération policière. Sur quel acte repose le SSI ? »
asks the second sentence; the first tells who asks. Matching and the key-term guard judge the
asking clause, so that a persona or a politeness formula does not drown the question; the
subjects the context names are kept when the clause names none (« …la DCI. Elle a été créée
quand ? »): `read_question` gives the engine both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable

from bot.dialogue import focused_subjects
from bot.knowledge import KnowledgeBase
from bot.text import content_tokens

# A sentence ends at ! ? ; or a line break, or at a period after a word of two letters or more
# (not in « D.C.I. » or « M. Coudert »).
_SENTENCE_END_RE = re.compile(r"(?<=[!?;؟])\s+|(?<=[^\W\d_]{2}\.)\s+|\n+")
# Words that ask: interrogatives and requests (« pouvez-vous », « j'aimerais », « parlez-moi »).
_INTERROGATIVE_RE = re.compile(
    r"\b(?:qu(?:i|e|oi|el(?:le)?s?|and)|o[uù]|comment|combien|pourquoi|est-ce|pouvez|pourriez|"
    r"j'aimerais|je voudrais|je cherche|je souhaite|parlez|expliquez|dites|donnez|indiquez|"
    r"what|who|where|when|how|which|why|can you|could you|tell me|give me|i need|i'd like|i would like)\b"
    r"|[؟]|(?:^|\s)(?:ما|ماذا|من|أين|متى|كيف|هل|كم|لماذا)(?:\s|$)",
    re.IGNORECASE)
_MIN_CLAUSE_WORDS = 2  # a lone word ("Merci.") is never the asking clause


def sentences(text: str) -> list[str]:
    """Split a message into sentences, keeping their end punctuation."""
    return [s.strip() for s in _SENTENCE_END_RE.split(text) if s.strip(" .!?;\n")]


def asking_clause(text: str, is_filler: Callable[[str], bool]) -> str:
    """Return the part of `text` that asks.

    The asking sentence is the last one ending in « ? », else the last interrogative one, else the
    last one that is not filler (« Je prépare un mémoire. organigramme dci. Merci ! »: people give
    the context first; the sentence with the most of the data's words was often the persona);
    then a leading greeting or filler (« Bonjour, », « une petite question : », for which
    `is_filler` is true) is dropped, unless what follows it is filler too. A message of one plain
    sentence is returned whole.
    """
    parts = sentences(text)
    clause = text
    if len(parts) >= 2:
        usable = [p for p in parts if len(p.split()) >= _MIN_CLAUSE_WORDS] or parts
        asking = ([p for p in usable if p.rstrip().endswith(("?", "؟"))]
                  or [p for p in usable if _INTERROGATIVE_RE.search(p)])
        clause = asking[-1] if asking else ([p for p in usable if not is_filler(p)] or usable)[-1]
    while True:
        head, sep, rest = _LEADING_FILLER_RE.match(clause).groups()  # type: ignore[union-attr]
        if (not sep or len(rest.split()) < _MIN_CLAUSE_WORDS or not is_filler(head) or is_filler(rest)
                or _INTERROGATIVE_RE.search(head)):
            return clause  # « salut le bot, ça va ? » is small talk as a whole: nothing to leave out
        clause = rest


_LEADING_FILLER_RE = re.compile(r"([^,:]*)([,:]?)\s*(.*)", re.DOTALL)


def small_talk_words(kb: KnowledgeBase, examples: Iterable[tuple[str, str]], topics: Collection[str]) -> frozenset[str]:
    """Return the content words that only the small-talk `topics`' examples use.

    `examples` are (normalised example, intent id) pairs, as the matcher keeps them. « petite »
    (« salut, petite question »), « bonne » (« bonne journée ») or « choukran » are politeness in
    this data: no question about the page uses them.
    """
    small_talk: set[str] = set()
    elsewhere: set[str] = set()
    for example, intent_id in examples:
        intent = kb.intents.get(intent_id)
        topic = kb.topic_of_answer.get(intent.answer) if intent is not None else None
        words = small_talk if topic is not None and topic.id in topics else elsewhere
        words.update(t for t in content_tokens(example) if len(t) > 2)
    return frozenset(small_talk - elsewhere)


def _content_words(kb: KnowledgeBase, text: str) -> list[str]:
    return [t for t in content_tokens(kb.normalize(text)) if len(t) > 2]


def read_question(kb: KnowledgeBase, message: str, small_talk: Collection[str] = frozenset()) -> tuple[str, list[str]]:
    """Return the normalised asking clause of a message and the subjects it is about.

    The sentences around the question (a persona, thanks) are left out; a leading « Bonjour, une
    petite question : » is left out too (its content words, if any, are all `small_talk` words).
    When the clause names no subject, those the rest of the message names are kept and written
    after it.
    """
    clause = asking_clause(message, is_filler=lambda part: all(t in small_talk for t in _content_words(kb, part)))
    normalized = kb.normalize(clause)  # normalize() reads at most MAX_TEXT_CHARS
    named = focused_subjects(kb, normalized)
    if clause != message and not named:
        named = focused_subjects(kb, kb.normalize(message))
        normalized = " ".join([normalized, *(kb.subjects[s].aliases[0] for s in named)])
    return normalized, named
