"""`faqbot check`, translations: every answer in every language, with exactly the French facts.

French is the reference. For each answer this reports a missing English or Arabic title or text
(a warning: the bot then shows the French text), and, as an error, a translation whose numbers,
phone numbers, e-mail addresses, dates or acronyms differ from the French text's (a translation
must never state another fact). It also reports intents with fewer than `min_examples` examples in
a language, and topics without translated titles (warnings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge import Answer
from bot.language import TRANSLATED
from bot.problems import Lines, Problem
from bot.provenance import find_facts
from bot.reader import DataRead

ERROR, WARNING = "error", "warning"
LANGUAGE_NAMES = {"en": "English", "ar": "Arabic"}

# Month names of the translations, rewritten to the French ones `find_facts` reads as dates.
_MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
           "novembre", "decembre")
_MONTH_NAMES = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
           "ديسمبر"),
    "ar_levant": ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
                  "تشرين الثاني", "كانون الأول"),
    "ar_maghreb": ("يناير", "فبراير", "مارس", "ابريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر",
                   "دجنبر"),
}
_ALL_MONTHS = sorted((re.escape(n) for names in _MONTH_NAMES.values() for n in names), key=len, reverse=True)
_MONTH_RE = re.compile(r"(?<![\w])(?:" + "|".join(_ALL_MONTHS) + r")(?![\w])", re.IGNORECASE)
_TO_FRENCH = {n.casefold(): _MONTHS[i] for names in _MONTH_NAMES.values() for i, n in enumerate(names)}
_DIGITS = {0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)}
_ORDINAL_RE = re.compile(r"\b1st\b", re.IGNORECASE)
_BIDI_MARKS = dict.fromkeys([0x200E, 0x200F, 0x061C, 0x2066, 0x2067, 0x2068, 0x2069])
_ARABIC_COMMA = {0x060C: ", ", 0x066B: ","}


def comparable(text: str) -> str:
    """Rewrite a translation so `find_facts` reads it as French: digits, month names, « 1st »."""
    text = text.translate(_DIGITS).translate(_BIDI_MARKS).translate(_ARABIC_COMMA)
    text = _MONTH_RE.sub(lambda m: " " + _TO_FRENCH[m.group(0).casefold()] + " ", text)
    return _ORDINAL_RE.sub("1er", text)


def facts_of(text: str, translated: bool = False) -> set[tuple[str, str]]:
    """Return the (kind, comparable form) of every fact written in `text` (how often does not matter)."""
    return {(f.kind, f.key) for f in find_facts(comparable(text) if translated else text)}


def _describe(facts: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{kind} {key!r}" for kind, key in sorted(facts))


def check_answer_translations(answer: Answer, lines: Lines) -> list[Problem]:
    """Report the missing translations of one answer and the facts they change."""
    problems: list[Problem] = []
    french = facts_of(answer.title) | facts_of(answer.text)
    for lang in TRANSLATED:
        name = LANGUAGE_NAMES[lang]
        missing = [key for key, value in ((f"title_{lang}", answer.titles), (f"text_{lang}", answer.texts))
                   if lang not in value]
        if missing:
            problems.append(Problem(answer.path, lines.of_id(answer.path, answer.id), answer.id,
                                    f"no {name} translation ({' and '.join(missing)}); the bot shows the French "
                                    "text instead: add it, translated from the French text", WARNING))
        if len(missing) == 2:
            continue
        translated = facts_of(answer.titles.get(lang, answer.title), True) | facts_of(answer.texts.get(lang, ""), True)
        if lang not in answer.texts:
            translated |= facts_of(answer.text)
        added, lost = translated - french, french - translated
        if added or lost:
            where = lines.of_text(answer.path, answer.id, f"text_{lang}")
            parts = ([f"adds {_describe(added)}"] if added else []) + ([f"lacks {_describe(lost)}"] if lost else [])
            problems.append(Problem(answer.path, where, answer.id,
                                    f"the {name} translation {' and '.join(parts)} compared with the French text; "
                                    "numbers, phone numbers, e-mails, dates and acronyms must be exactly the French "
                                    "ones (write dates with digits or month names, digits as in French)"))
    return problems


def check_translations(data: DataRead, lines: Lines, min_examples: int) -> list[Problem]:
    """Report missing or unfaithful translations and intents with too few examples in a language."""
    problems: list[Problem] = []
    for answer in data.answers.values():
        problems += check_answer_translations(answer, lines)
    for topic in data.topics:
        lacking = [LANGUAGE_NAMES[lang] for lang in TRANSLATED if lang not in topic.titles]
        path = data.answers[topic.answers[0]].path
        if lacking:
            problems.append(Problem(path, None, topic.id, f"no {' or '.join(lacking)} title for the topic "
                                    "(title_en, title_ar at the top of the file); the French title is shown", WARNING))
    for intent in data.intents.values():
        for lang in TRANSLATED:
            count = len(intent.by_language.get(lang, ()))
            if count < min_examples:
                problems.append(Problem(intent.path, lines.of_id(intent.path, intent.id), intent.id,
                                        f"only {count} {LANGUAGE_NAMES[lang]} examples (examples_{lang}; "
                                        f"min_examples = {min_examples}); add {min_examples - count} more, in the "
                                        "styles of the French ones (keywords, casual, typos)", WARNING))
    return problems
