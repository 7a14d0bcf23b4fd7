"""Which words are real words: a misspelling is corrected only when it is no word of the language.

The data's own words say what a question may be about; a general dictionary says which other
words are words. « ardesse » is neither (a typo of « adresse »), « pleuvoir » is a word the data
does not use (a question about something else, which must not become « pouvoir »). The
dictionaries are pyspellchecker's French and English word lists (built from OpenSubtitles and
Wiktionary, MIT licence), read once, on the first word the data does not know, and kept in the
form questions take after normalisation (lower case, no accents).
"""

from __future__ import annotations

import gzip
import json
import threading
from importlib import resources

from bot.text import strip_accents

DICTIONARIES = ("fr", "en")  # pyspellchecker's word lists; Arabic words are never corrected
MIN_FREQUENCY = 2  # a word seen once in the lists' corpora may be a typo itself

_LOCK = threading.Lock()
_WORDS: frozenset[str] | None = None


def dictionary_words() -> frozenset[str]:
    """Return every word of the dictionaries, lower-cased and without accents (read on first use)."""
    global _WORDS
    with _LOCK:
        if _WORDS is None:
            words: set[str] = set()
            for language in DICTIONARIES:
                path = resources.files("spellchecker") / "resources" / f"{language}.json.gz"
                with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
                    counts = json.load(text)
                words.update(strip_accents(w.casefold()) for w, n in counts.items() if n >= MIN_FREQUENCY)
            _WORDS = frozenset(words)
        return _WORDS


def is_word(token: str) -> bool:
    """Tell whether a normalised token is a word of the dictionaries (any token not in Latin letters is)."""
    if not token.isascii() or not token.isalpha():
        return True
    return token in dictionary_words()
