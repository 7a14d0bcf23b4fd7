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

from bot.knowledge import Answer, KnowledgeBase, KnowledgeError, Lines, Problem
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


def source_facts(source_text: str) -> dict[str, set[str]]:
    """Return the comparable forms of every fact of the source document, by kind.

    Lines starting with '#' are the file's own header, not the page.
    """
    page = "\n".join(line for line in source_text.splitlines() if not line.lstrip().startswith("#"))
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
    """Report facts of answers that the source document does not contain."""
    lines = lines or Lines()
    try:
        known = source_facts(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(config_path, None, "paths.source",
                        f"cannot read the source document {source} ({exc.__class__.__name__}); fix [paths] source")]
    problems = []
    for answer in answers:
        texts = [answer.title, answer.text] + ([answer.as_of] if answer.as_of else [])
        for fact in (f for text in texts for f in find_facts(text)):
            if fact.key not in known.get(fact.kind, set()):
                problems.append(Problem(answer.path, lines.of_text(answer.path, answer.id, fact.shown), answer.id,
                                        f"{fact.kind} {fact.shown!r} does not appear in the source document "
                                        f"{source.name}; correct it from the source or remove it"))
    return problems
