"""Find what a long message asks: the clause with the question, not the sentences around it.

« Je suis historien et je travaille sur la coopération policière. Sur quel acte repose le SSI ? »
asks the second sentence; the first tells who asks. Matching and the key-term guard judge the
asking clause, so that a persona or a politeness formula does not drown the question; the
subjects the context names are kept when the clause names none (« …la DCI. Elle a été créée
quand ? »).
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? ; or a line break; a « ? » ends the asking sentence.
_SENTENCE_RE = re.compile(r"[^.!?;\n]+[.!?;\n]*")
_INTERROGATIVE_RE = re.compile(
    r"\b(?:qu(?:i|e|oi|el(?:le)?s?|and)|o[uù]|comment|combien|pourquoi|est-ce|what|who|where|when|how|which|"
    r"why|is there|can you|could you)\b|[؟]|(?:^|\s)(?:ما|ماذا|من|أين|متى|كيف|هل|كم|لماذا)(?:\s|$)",
    re.IGNORECASE)
_MIN_CLAUSE_WORDS = 2  # a lone word ("Merci.") is never the asking clause


def sentences(text: str) -> list[str]:
    """Split a message into sentences, keeping their end punctuation."""
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip(" .!?;\n")]


def asking_clause(text: str) -> str:
    """Return the sentence of `text` that asks (the last one with « ? », else the last interrogative one).

    A message of one sentence, or one where no sentence stands out, is returned whole.
    """
    parts = sentences(text)
    if len(parts) < 2:
        return text
    usable = [p for p in parts if len(p.split()) >= _MIN_CLAUSE_WORDS]
    for test in (lambda p: p.rstrip().endswith(("?", "؟")), lambda p: bool(_INTERROGATIVE_RE.search(p))):
        asking = [p for p in usable if test(p)]
        if asking:
            return asking[-1]
    return text
