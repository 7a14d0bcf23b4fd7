"""Provenance: every fact an answer states must come from the source document.

Numbers, phone numbers, e-mails, dates and acronyms of each answer are looked up in the source
page (`[paths] source`). The engine runs this on every load, so invented facts are never served;
`faqbot check` reports the same problems.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge import Answer, KnowledgeBase
from bot.problems import KnowledgeError, Lines, Problem
from bot.text import strip_accents


def require_provenance(kb: KnowledgeBase, source: Path, config_path: Path) -> None:
    """Raise KnowledgeError when an answer states a fact the source document does not contain."""
    problems = check_provenance(kb.answers.values(), source, config_path)
    if problems:
        raise KnowledgeError(problems)


@dataclass(frozen=True)
class Fact:
    """A checkable fact found in a text: `key` is its comparable form, `shown` how it is written."""

    kind: str  # "e-mail" | "date" | "phone number" | "number" | "acronym"
    shown: str
    key: str


_MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
           "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}
_SPACE = r"[ \t\u00a0\u202f]"
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATE_NUMERIC_RE = re.compile(r"(?<![\d/.])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/])")
_DATE_ISO_RE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_DATE_TEXT_RE = re.compile(r"\b(?:(1er|\d{1,2})" + _SPACE + r"+)?(" + "|".join(_MONTHS) + r")" + _SPACE + r"+(\d{4})\b",
                           re.IGNORECASE)
_PHONE_RE = re.compile(r"(?<![\d.])(?:\+\d{1,3}" + _SPACE + r"?)?\d{2}(?:(?:" + _SPACE + r"|[.-])?\d{2}){3,5}(?![\d])")
_NUMBER_RE = re.compile(r"\d{1,3}(?:" + _SPACE + r"\d{3})+(?![\d])|\d+(?:,\d+)?")
_DOTTED_RE = re.compile(r"\b(?:[A-Z]\.+){2,}|\b(?:[A-Z]\.+)+[A-Z]\b")
_ACRONYM_RE = re.compile(r"\b[A-Z]{2,}\b")


def find_facts(text: str, kinds: Iterable[str] | None = None) -> list[Fact]:
    """Return the e-mails, dates, phone numbers, numbers and acronyms written in `text`."""
    wanted = set(kinds) if kinds is not None else None
    facts: list[Fact] = []
    rest = strip_accents(text)  # "ÉTAT" and "ETAT", "août" and "aout" compare equal

    def take(kind: str, pattern: re.Pattern[str], key: Any) -> None:
        nonlocal rest
        for match in pattern.finditer(rest):
            facts.append(Fact(kind, match.group(0), key(match)))
        rest = pattern.sub(" ", rest)  # a fact's digits are not numbers of their own

    take("e-mail", _EMAIL_RE, lambda m: m.group(0).lower())
    take("date", _DATE_ISO_RE, lambda m: _date_key(m.group(3), m.group(2), m.group(1)))
    take("date", _DATE_NUMERIC_RE, lambda m: _date_key(m.group(1), m.group(3), m.group(4)))
    take("date", _DATE_TEXT_RE, lambda m: _date_key(m.group(1), str(_MONTHS[m.group(2).lower()]), m.group(3)))
    take("phone number", _PHONE_RE, lambda m: re.sub(r"\D", "", m.group(0)))
    take("number", _NUMBER_RE, lambda m: _number_key(m.group(0)))
    rest = _DOTTED_RE.sub(lambda m: m.group(0).replace(".", ""), rest)
    take("acronym", _ACRONYM_RE, lambda m: m.group(0))
    return [f for f in facts if wanted is None or f.kind in wanted]


def _date_key(day: str | None, month: str, year: str) -> str:
    day_number = 1 if day and day.lower() == "1er" else int(day) if day else 0
    return f"{int(year):04d}-{int(month):02d}-{day_number:02d}"


def _number_key(shown: str) -> str:
    digits = re.sub(r"[^\d,]", "", shown)
    return digits.lstrip("0") or "0"


def _page(source_text: str) -> str:
    """Return the page of the source document, without the file's own '#' header lines."""
    return "\n".join(line for line in source_text.splitlines() if not line.lstrip().startswith("#"))


def source_facts(source_text: str) -> dict[str, set[str]]:
    """Return the comparable forms of every fact of the source document, by kind.

    Lines starting with '#' are the file's own header, not the page.
    """
    page = _page(source_text)
    found: dict[str, set[str]] = defaultdict(set)
    for fact in find_facts(page):
        found[fact.kind].add(fact.key)
        if fact.kind == "date":  # "septembre 2010" in an answer is backed by "1er septembre 2010"
            found["date"].add(fact.key[:8] + "00")
    # Every run of digits counts as a number the page gives ("05" of 05/11/2015 is the page's).
    found["number"] |= {_number_key(d) for d in re.findall(r"\d+", page)}
    return found


def check_provenance(answers: Iterable[Answer], source: Path, config_path: Path,
                     lines: Lines | None = None) -> list[Problem]:
    """Report facts of answers that the source document does not contain, or gives about something else."""
    lines = lines or Lines()
    try:
        source_text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(config_path, None, "paths.source",
                        f"cannot read the source document {source} ({exc.__class__.__name__}); fix [paths] source")]
    known, page = source_facts(source_text), _page(source_text)
    flat, contexts = _flat(page), number_contexts(page)
    problems = []
    for answer in answers:
        texts = [answer.title, answer.text] + ([answer.as_of] if answer.as_of else [])
        wrong: dict[tuple[str, str], tuple[Fact, str]] = {}
        for text in texts:
            for fact in find_facts(text):
                if fact.key not in known.get(fact.kind, set()):
                    wrong.setdefault((fact.key.lower(), ""), (fact, "absent"))
            for fact in word_facts(text):
                if not known_in_words(fact, flat, known["number"]):
                    wrong.setdefault((fact.key.lower(), ""), (fact, "absent"))
            for fact in misplaced_numbers(text, contexts):
                wrong.setdefault((fact.key, "misplaced"), (fact, "misplaced"))
        for fact, why in wrong.values():
            problems.append(Problem(answer.path, lines.of_text(answer.path, answer.id, fact.shown), answer.id,
                                    _provenance_message(fact, why, source.name)))
    return problems


def _provenance_message(fact: Fact, why: str, source_name: str) -> str:
    if why == "misplaced":
        return (f"number {fact.shown!r} is in the source document {source_name}, but only in sentences about "
                "something else (they share no key word with this one); check the fact it gives")
    kind = fact.kind
    if kind == "acronym" and len(fact.shown) >= 5 and not re.search("[^AEIOUY]{3}", fact.shown):
        kind = "name"  # "DUPONT" reads as a word: a name in capitals; "OCRTIS" does not
    return (f"{kind} {fact.shown!r} does not appear in the source document {source_name}; "
            "correct it from the source or remove it")


# -- facts written in words: names, institutions, numbers ------------------------------------------
_NAME = r"((?:[A-Z][a-z]+|[A-Z]{2,})(?:[- ][A-Z][A-Za-z]+)?)"
_CIVILITY_RE = re.compile(r"\b(?i:M\.|Mme|Mlle|monsieur|madame)\s+([A-Za-z][a-z]+|[A-Z]{2,})")  # any case: "m. dupont"
_RANK_RE = re.compile(r"\b(?i:commissaire|colonel|general|capitaine|lieutenant|commandant|prefet|ministre|"
                      r"directeur|directrice)\s+" + _NAME)  # a capital: "commissaire principal" is no name
_INSTITUTION_RE = re.compile(r"\b(ministere|ministre|direction|office|agence|prefecture|ambassade|universite|"
                             r"ecole|institut|tribunal|cour)s?\s+(?:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')"
                             r"([a-z]+(?:\s+(?:et|de\s+la|de\s+l'|du|des|de|d')\s*[a-z]+)?)")
_UNITS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
          "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
          "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
_SCALES = {"cent": 100, "cents": 100, "mille": 1000, "million": 1_000_000, "millions": 1_000_000}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_SCALES, "un", "une", "et"], key=len, reverse=True))
_WORDS_RE = re.compile(rf"\b(?:(?:{_NUMBER_WORD})[- ]+)*(?:{_NUMBER_WORD})\b")


def _flat(text: str) -> str:
    """Return `text` folded for phrase lookups: no accents, lowercase, one kind of apostrophe and space."""
    return re.sub(r"\s+", " ", strip_accents(text).lower().replace("\u2019", "'"))


def _words_value(words: str) -> int | None:
    """Return the value of a number written in French words ("cent vingt" -> 120), or None for "un", "et"."""
    total = current = 0
    seen = False
    for word in re.split(r"[- ]+", words):
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            total, current, seen = (total + current, 0, True) if _SCALES[word] >= 1000 else (total, current, True)
        elif word in ("un", "une"):
            current += 1
    value = total + current
    return value if seen and value >= 2 else None


def word_facts(text: str) -> list[Fact]:
    """Return the names after a title, the institutions and the numbers in words written in `text`."""
    folded = strip_accents(text).replace("\u2019", "'")
    facts = [Fact("name", m.group(1), _flat(m.group(1)))
             for pattern in (_CIVILITY_RE, _RANK_RE) for m in pattern.finditer(folded)]
    flat = _flat(text)
    facts += [Fact("institution", m.group(0), m.group(0)) for m in _INSTITUTION_RE.finditer(flat)]
    for m in _WORDS_RE.finditer(flat):
        value = _words_value(m.group(0))
        if value is not None:
            facts.append(Fact("number in words", m.group(0), str(value)))
    return facts


def known_in_words(fact: Fact, flat_page: str, numbers: set[str]) -> bool:
    """Tell whether the page gives a fact written in words (as words, or as digits for a number)."""
    if fact.kind == "number in words":
        return fact.key in numbers or re.search(rf"\b{re.escape(fact.shown)}\b", flat_page) is not None
    return re.search(rf"\b{re.escape(fact.key)}\b", flat_page) is not None


# -- a number of the page used for another fact ---------------------------------------------------------
_SENTENCE_RE = re.compile(r"[^.!?\n]+")
_STEM = 6
_WINDOW = 8  # words either side of a number of the page that say what it is about


def _terms(sentence: str) -> set[str]:
    """Return the stems of the key words of a sentence (words of 4 letters or more, cut to 6)."""
    return {w[:_STEM] for w in re.findall(r"[a-z]{4,}", _flat(sentence)) if w not in _COMMON}


_COMMON = {"dans", "pour", "avec", "elle", "elles", "sont", "leur", "leurs", "cette", "ces", "tous", "toutes",
           "plus", "etre", "etait", "ainsi", "mais", "comme", "selon", "depuis", "entre", "chaque", "aussi",
           "information", "informations"}


def number_contexts(page: str) -> dict[str, set[str]]:
    """Return, for each number of the page, the key terms of the words around it (its clause, not the paragraph)."""
    contexts: dict[str, set[str]] = defaultdict(set)
    for sentence in _SENTENCE_RE.findall(page.replace("\u2019", "'")):
        words = sentence.split()
        for n, word in enumerate(words):
            for digits in re.findall(r"\d+", word):
                contexts[_number_key(digits)] |= _terms(" ".join(words[max(n - _WINDOW, 0): n + _WINDOW + 1]))
    return contexts


def misplaced_numbers(text: str, contexts: dict[str, set[str]]) -> list[Fact]:
    """Return the numbers of `text` whose sentence shares no key term with the page's sentences about them."""
    misplaced = []
    for sentence in _SENTENCE_RE.findall(text):
        for fact in find_facts(sentence, kinds={"number"}):
            around = contexts.get(fact.key)
            if around and not _terms(sentence.replace(fact.shown, " ")) & around:
                misplaced.append(fact)
    return misplaced
