"""Text perturbations and template filling for the behavioural test suite (bot/tools/suite.py).

Every function that draws takes a `random.Random`, so a seed gives the same text on every machine.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping

from bot.text import of, strip_accents

WORD_RE = re.compile(r"\S+")
_MIN_TYPO_LETTERS = 3  # shorter words get no letter dropped, swapped or doubled
_MIN_DROP_LETTERS = 4  # a letter is dropped only from words this long
_ROUNDING = 1e-9  # 0.1 x 30 words is 3.0000000000000004 in floating point: three words, not four
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
_EDGES_RE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
_ARTICLES = ("les ", "le ", "la ", "l'", "l’")
_VOWELS = tuple("aeiouyhàâéèêëîïôûüAEIOUYHÉÈÊÎÔ")
_INVERSION_RE = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)$", re.I)
_ELIDED_RE = re.compile(r"^(?:l|d|qu|s|c|j|m|n|t|jusqu|lorsqu|puisqu)['’]", re.I)


# -- subject forms and templates ----------------------------------------------------------------------

def article_of(name: str) -> str:
    """Return the article a subject's name starts with ("le", "la", "les", "l'"), or ""."""
    lowered = name.casefold()
    for article in _ARTICLES:
        if lowered.startswith(article):
            return article.strip().replace("’", "'")
    return ""


def bare(name: str) -> str:
    """Return a name without its leading article ("le SSI de Nouakchott" -> "SSI de Nouakchott")."""
    article = article_of(name)
    return name[len(article):].lstrip() if article else name


def with_article(article: str, words: str) -> str:
    """Put `article` before `words`, eliding before a vowel ("la" + "attaché" -> "l'attaché")."""
    if not article:
        return words
    if article in ("le", "la", "l'"):
        return ("l'" + words) if words.startswith(_VOWELS) else (("le" if article == "l'" else article) + " " + words)
    return f"{article} {words}"


def to(name: str) -> str:
    """Put "à" before a name the French way: "au SSI", "aux SSI", "à la DCI", "à l'ASI"."""
    article = article_of(name)
    if article == "le":
        return "au " + bare(name)
    if article == "les":
        return "aux " + bare(name)
    return "à " + name


def slots(form: str) -> dict[str, str]:
    """Return the placeholder values of one subject form (see tests/suite/templates.toml)."""
    return {"le": form, "du": of(form), "au": to(form), "nu": bare(form), "de_nu": of(bare(form))}


def fill(template: str, values: Mapping[str, str]) -> str:
    """Fill `{key}` placeholders; a capitalised key ({Le}) capitalises the value's first letter."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        text = values[key.lower()]
        return text[:1].upper() + text[1:] if key[:1].isupper() else text

    return _PLACEHOLDER_RE.sub(value, template)


# -- typo noise -------------------------------------------------------------------------------------------

def _letters(core: str) -> list[int]:
    return [i for i, c in enumerate(core) if c.isalpha()]


def _drop(core: str, rng: random.Random) -> str | None:
    spots = [i for i in _letters(core) if i > 0]
    if len(_letters(core)) < _MIN_DROP_LETTERS or not spots:
        return None
    i = rng.choice(spots)
    return core[:i] + core[i + 1:]


def _swap(core: str, rng: random.Random) -> str | None:
    spots = [i for i in range(1, len(core) - 1) if core[i].isalpha() and core[i + 1].isalpha()
             and core[i] != core[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return core[:i] + core[i + 1] + core[i] + core[i + 2:]


def _double(core: str, rng: random.Random) -> str | None:
    spots = _letters(core)
    if not spots:
        return None
    i = rng.choice(spots)
    return core[:i + 1] + core[i] + core[i + 1:]


def _edits(core: str, sms: Mapping[str, str]) -> list[Callable[[random.Random], str | None]]:
    """Return the typos that apply to one word (its letters, without surrounding punctuation)."""
    edits: list[Callable[[random.Random], str | None]] = []
    key = core.casefold()
    if sms.get(key, key) != key:
        edits.append(lambda rng: sms[key])
    if strip_accents(core) != core:
        edits.append(lambda rng: strip_accents(core))
    if len(_letters(core)) >= _MIN_TYPO_LETTERS and not core.isupper():
        edits += [lambda rng: _drop(core, rng), lambda rng: _swap(core, rng), lambda rng: _double(core, rng)]
    return edits


def words_to_alter(n_words: int, rate: float) -> int:
    """Return how many words a typo rate alters in a question of `n_words` words (at least one)."""
    return max(1, math.ceil(rate * n_words - _ROUNDING))


def add_typos(text: str, rate: float, rng: random.Random, sms: Mapping[str, str]) -> str | None:
    """Alter `words_to_alter` words: a letter dropped, swapped or doubled, accents removed, an SMS form.

    Words keep their place (one token in, one token out). None when no word can be altered.
    """
    tokens = text.split()
    words = [i for i, t in enumerate(tokens) if any(c.isalpha() for c in t)]
    parts = {i: _EDGES_RE.match(tokens[i]).groups() for i in words}  # type: ignore[union-attr]
    options = {i: _edits(parts[i][1], sms) for i in words}
    eligible = [i for i in words if options[i]]
    if not eligible:
        return None
    for i in sorted(rng.sample(eligible, min(len(eligible), words_to_alter(len(words), rate)))):
        head, core, tail = parts[i]
        edits = list(options[i])
        rng.shuffle(edits)
        altered = next((new for edit in edits if (new := edit(rng)) and new != core), core)
        tokens[i] = head + altered + tail
    return " ".join(tokens)


# -- wrappers and reductions -----------------------------------------------------------------------------

def lower_first(text: str) -> str:
    """Lowercase the first letter, unless the first word is an acronym ("SSI") or the English "I" ("I'd")."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    core = "".join(c for c in first if c.isalpha())
    if (len(core) > 1 and core.isupper()) or first == "I" or first.startswith(("I'", "I’")):
        return text
    return text[:1].lower() + text[1:]


def with_persona(text: str, rng: random.Random, personas: list[str]) -> str:
    """Put a sentence of persona or context before the question."""
    return f"{rng.choice(personas)} {text}"


def with_politeness(text: str, rng: random.Random, greetings: list[str], closings: list[str]) -> str:
    """Wrap the question in a greeting, a closing, or both."""
    shape = rng.choice(("greeting", "closing", "both"))
    if shape in ("greeting", "both"):
        text = f"{rng.choice(greetings)} {lower_first(text)}"
    if shape in ("closing", "both"):
        text = f"{text} {rng.choice(closings)}"
    return text


def with_synonym(text: str, rng: random.Random, synonyms: Mapping[str, list[str]],
                 is_new: Callable[[str], bool]) -> str | None:
    """Replace one word that has synonyms by one of them for which `is_new` is true; None if none applies.

    A paraphrase with a word the data never uses (« les attributions du SSI » for « les missions du
    SSI »): what people who have not read the examples write.
    """
    tokens = text.split()
    choices = []
    for i, token in enumerate(tokens):
        head, core, tail = _EDGES_RE.match(token).groups()  # type: ignore[union-attr]
        new = [w for w in synonyms.get(core.casefold(), ()) if is_new(w)]
        if new:
            choices.append((i, head, tail, new))
    if not choices:
        return None
    i, head, tail, new = rng.choice(choices)
    tokens[i] = head + rng.choice(new) + tail
    return " ".join(tokens)


def key_words(text: str, stopwords: frozenset[str]) -> str | None:
    """Reduce a question to its key words ("Qui dirige le SSI ?" -> "qui dirige SSI"); None if < 2 remain."""
    kept: list[str] = []
    for token in WORD_RE.findall(text):
        word = token.strip("?!.,;:()«»\"؟،؛").replace("’", "'")
        if not word or word.casefold() in stopwords:
            continue
        word = _INVERSION_RE.sub("", word)
        match = _ELIDED_RE.match(word)
        if match and match.group(0).casefold().rstrip("'") in stopwords:
            word = word[match.end():]
        if word and word.casefold() not in stopwords and any(c.isalnum() for c in word):
            kept.append(word)
    return " ".join(kept) if len(kept) >= 2 else None
