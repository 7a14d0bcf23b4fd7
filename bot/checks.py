"""`faqbot check`: validate knowledge/ and intents/ beyond what loading them needs.

Loading (bot/knowledge.py) already reports syntax errors, unknown or missing keys, wrong types,
duplicate ids and intents pointing at missing answers. This module adds the checks a maintainer
needs after editing the data: duplicate and near-duplicate examples, too few examples, empty
titles, answers too long for one Telegram message, answers no intent uses, and provenance: every
number, phone number, e-mail, date and acronym of an answer must appear in the source document.

It never imports the engine, so the engine may run these checks before a reload.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.config import Config
from bot.knowledge import Answer, Intent, KnowledgeError, Problem, load_knowledge
from bot.text import Lexicon, content_tokens, normalize

TELEGRAM_MAX_CHARS = 4096  # Telegram counts UTF-16 code units of the text after entity parsing
ERROR, WARNING = "error", "warning"


# -- reading the data ------------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    """What could be read of the data, even when some of it is broken."""

    answers: dict[str, Answer]
    intents: dict[str, Intent]
    lexicon: Lexicon

    def normalize(self, text: str) -> str:
        return normalize(text, self.lexicon)


def _read_leniently(config: Config) -> Data:
    """Read every answer and intent that parses, ignoring errors (load_knowledge reports them)."""
    # The loader's readers keep going after an error; reusing them keeps one definition of the format.
    from bot.knowledge import _Collector, _read_answers, _read_intents

    col = _Collector()
    paths = config.paths
    # Indexed, not unpacked: the readers may return more things over time.
    read_answers = _read_answers(col, paths.knowledge) if paths.knowledge.is_dir() else ({}, [], {})
    read_intents = _read_intents(col, paths.intents) if paths.intents.is_dir() else ({}, {}, {}, {})
    answers, acronyms = read_answers[0], read_answers[2]
    intents, synonyms = read_intents[0], read_intents[3]
    return Data(answers, intents, Lexicon(acronyms, synonyms))


class _Lines:
    """Find the line where an item or a string is written, for `path:line` locations."""

    def __init__(self) -> None:
        self._texts: dict[Path, list[str]] = {}

    def _lines(self, path: Path) -> list[str]:
        if path not in self._texts:
            try:
                # errors="replace": a file that is not UTF-8 (reported by the loader) still shows its ids
                self._texts[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._texts[path] = []
        return self._texts[path]

    def of_id(self, path: Path, item_id: str) -> int | None:
        pattern = re.compile(r"""^\s*id\s*=\s*["']""" + re.escape(item_id) + """["']""")
        return next((n for n, line in enumerate(self._lines(path), 1) if pattern.match(line)), None)

    def of_text(self, path: Path, item_id: str, text: str, quoted: bool = False) -> int | None:
        """Return the line of item `item_id` where `text` (a quoted string if `quoted`) is written.

        Falls back to the item's id line when the text is not written literally (TOML escapes).
        """
        start = self.of_id(path, item_id)
        lines = self._lines(path)
        needles = [f'"{text}"', f"'{text}'", json.dumps(text, ensure_ascii=False)] if quoted else [text]
        for n in range(start or 1, len(lines) + 1):
            if start and n > start and lines[n - 1].lstrip().startswith("[["):
                break  # the next item starts
            if any(needle in lines[n - 1] for needle in needles):
                return n
        return start

    def written(self, folder: Path, regex: str) -> set[str]:
        """Return group 1 of every line of folder/*.toml matching `regex`, even in tables that failed to load."""
        pattern = re.compile(regex)
        return {m.group(1) for path in sorted(folder.glob("*.toml")) for line in self._lines(path)
                if (m := pattern.match(line))}


# -- checks ------------------------------------------------------------------------------------
def check_data(config: Config) -> list[Problem]:
    """Return every problem in the data: loading errors first, then the maintainers' checks."""
    try:
        load_knowledge(config.paths.knowledge, config.paths.intents)
        problems: list[Problem] = []
    except KnowledgeError as exc:
        problems = list(exc.problems)
    lines = _Lines()
    problems = _without_knock_on(problems, lines, config)
    data = _read_leniently(config)
    m = config.maintenance
    problems += check_examples(data, lines, m.near_duplicate_score, m.min_examples)
    problems += check_answers(data, lines, config.paths.intents)
    problems += check_provenance(data, lines, config.paths.source, config.path)
    # Errors first; otherwise the reading order, so a root cause comes before what it breaks.
    return sorted(dict.fromkeys(problems), key=lambda p: p.severity != ERROR)


_MISSING_ANSWER_RE = re.compile(r"^points at answer '([^']+)', which no file")
_MISSING_SUBJECT_RE = re.compile(r"^unknown subject '([^']+)'")


def _without_knock_on(problems: list[Problem], lines: _Lines, config: Config) -> list[Problem]:
    """Drop "no such answer/subject" errors when that answer or subject is written but broken.

    Its own error (syntax, key, type) is already reported; one cause, one line.
    """
    answers = lines.written(config.paths.knowledge, r"""^\s*id\s*=\s*["']([^"']+)["']""")
    subjects = lines.written(config.paths.intents, r"^\s*\[subjects\.([A-Za-z0-9_-]+)\]")
    kept = []
    for p in problems:
        answer, subject = _MISSING_ANSWER_RE.match(p.message), _MISSING_SUBJECT_RE.match(p.message)
        if (answer and answer.group(1) in answers) or (subject and subject.group(1) in subjects):
            continue
        kept.append(p)
    return kept


def check_examples(data: Data, lines: _Lines, near_bound: float, min_examples: int) -> list[Problem]:
    """Report repeated examples, near-duplicates across intents and intents with too few examples."""
    problems: list[Problem] = []
    rows: list[tuple[Intent, str, str]] = []  # (intent, example, normalised example)
    for intent in data.intents.values():
        if 0 < len(intent.examples) < min_examples:
            problems.append(Problem(intent.path, lines.of_id(intent.path, intent.id), intent.id,
                                    f"only {len(intent.examples)} examples (min_examples = {min_examples} in "
                                    f"config.toml); add {min_examples - len(intent.examples)} more varied questions",
                                    WARNING))
        rows += [(intent, example, data.normalize(example)) for example in intent.examples]
    first: dict[str, tuple[Intent, str]] = {}
    exact: set[tuple[str, str]] = set()  # (intent id, normalised example) reported as exact duplicates
    for intent, example, norm in rows:
        if norm not in first:
            first[norm] = (intent, example)
            continue
        other, other_example = first[norm]
        where = lines.of_text(intent.path, intent.id, example, quoted=True)
        there = _place(other, other_example, lines)
        if other.id == intent.id:
            problems.append(Problem(intent.path, where, intent.id,
                                    f"example {example!r} repeats {other_example!r} ({there}) once normalised; "
                                    "remove one, it teaches the matcher nothing new", WARNING))
        else:
            exact.add((intent.id, norm))
            problems.append(Problem(intent.path, where, intent.id,
                                    f"example {example!r} is also an example of intent {other.id} ({there}) once "
                                    "normalised; keep it in the one intent it belongs to"))
    problems += _near_duplicates(rows, lines, near_bound, exact)
    return problems


def _place(intent: Intent, example: str, lines: _Lines) -> str:
    line = lines.of_text(intent.path, intent.id, example, quoted=True)
    return f"{intent.path.name}:{line}" if line else intent.path.name


def _near_duplicates(rows: list[tuple[Intent, str, str]], lines: _Lines, bound: float,
                     exact: set[tuple[str, str]]) -> list[Problem]:
    """Report examples of two intents that differ only by typos or small words (the closest pair once)."""
    norms = [norm for _, _, norm in rows]
    if len(norms) < 2:
        return []
    scores = process.cdist(norms, norms, scorer=fuzz.ratio, score_cutoff=bound, workers=1)
    closest: dict[tuple[int, str], tuple[float, int]] = {}  # (example row, other intent) -> (score, other row)
    for a, b in zip(*scores.nonzero(), strict=True):
        (ia, _, na), (ib, _, nb) = rows[a], rows[b]
        if a >= b or ia.id == ib.id or na == nb or (ib.id, nb) in exact or not _same_key_terms(na, nb, bound):
            continue
        key = (int(b), ia.id)
        if key not in closest or scores[a, b] > closest[key][0]:
            closest[key] = (float(scores[a, b]), int(a))
    problems = []
    for (b, _), (score, a) in closest.items():
        (ia, ea, _), (ib, eb, _) = rows[a], rows[b]
        problems.append(Problem(ib.path, lines.of_text(ib.path, ib.id, eb, quoted=True), ib.id,
                                f"example {eb!r} is {score:.0f}% similar to {ea!r} of intent {ia.id} "
                                f"({_place(ia, ea, lines)}); reword or move one of them "
                                f"(near_duplicate_score = {bound:g} in config.toml)", WARNING))
    return problems


def _same_key_terms(a: str, b: str, bound: float) -> bool:
    """Tell whether every key term of one text has a close spelling in the other.

    "c'est quoi un ASI" and "c'est quoi un SSI" look 94% alike but ask about different things.
    """
    ta, tb = set(content_tokens(a)), set(content_tokens(b))
    for left, right in ((ta - tb, tb), (tb - ta, ta)):
        for term in left:
            if not right or process.extractOne(term, right, scorer=fuzz.ratio, score_cutoff=bound) is None:
                return False
    return True


SEE_ALSO = "Voir aussi :"  # the footer bot/channels/telegram.py adds before related questions


def rendered_text(answer: Answer) -> str:
    """Return the visible text of an answer as Telegram shows it: bold title, text, "voir aussi" footer."""
    return f"{answer.title}\n\n{answer.text}\n\n{SEE_ALSO}"


def telegram_length(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def check_answers(data: Data, lines: _Lines, intents_dir: Path) -> list[Problem]:
    """Report empty titles, answers too long for Telegram, unused answers and undated dated facts."""
    problems = []
    written = lines.written(intents_dir, r"""^\s*answer\s*=\s*["']([^"']+)["']""")
    used = {intent.answer for intent in data.intents.values()} | written
    for answer in data.answers.values():
        line = lines.of_id(answer.path, answer.id)
        if not answer.title:
            problems.append(Problem(answer.path, line, answer.id, "empty title; write the question it answers"))
        length = telegram_length(rendered_text(answer))
        if length > TELEGRAM_MAX_CHARS:
            problems.append(Problem(answer.path, line, answer.id,
                                    f"answer is {length} characters once rendered (title, text, footer), more than "
                                    f"one Telegram message ({TELEGRAM_MAX_CHARS}); shorten it or split it in two"))
        if answer.id not in used:
            problems.append(Problem(answer.path, line, answer.id,
                                    f"no intent uses this answer; add an intent with answer = \"{answer.id}\" in "
                                    "intents/ or delete the answer", WARNING))
        if answer.as_of and answer.text and not find_facts(answer.text, kinds={"date"}):
            problems.append(Problem(answer.path, line, answer.id,
                                    f"as_of = {answer.as_of!r} but the text gives no date; add « (information du "
                                    "…) » so users know the fact may be out of date", WARNING))
    return problems


# -- provenance ------------------------------------------------------------------------------
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


def _fold(text: str) -> str:
    """Remove accents so "ÉTAT" and "ETAT", "août" and "aout" compare equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def find_facts(text: str, kinds: Iterable[str] | None = None) -> list[Fact]:
    """Return the e-mails, dates, phone numbers, numbers and acronyms written in `text`."""
    wanted = set(kinds) if kinds is not None else None
    facts: list[Fact] = []
    rest = _fold(text)

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


def check_provenance(data: Data, lines: _Lines, source: Path, config_path: Path) -> list[Problem]:
    """Report facts of answers that the source document does not contain."""
    try:
        known = source_facts(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(config_path, None, "paths.source",
                        f"cannot read the source document {source} ({exc.__class__.__name__}); fix [paths] source")]
    problems = []
    for answer in data.answers.values():
        texts = [answer.title, answer.text] + ([answer.as_of] if answer.as_of else [])
        for fact in (f for text in texts for f in find_facts(text)):
            if fact.key not in known.get(fact.kind, set()):
                problems.append(Problem(answer.path, lines.of_text(answer.path, answer.id, fact.shown), answer.id,
                                        f"{fact.kind} {fact.shown!r} does not appear in the source document "
                                        f"{source.name}; correct it from the source or remove it"))
    return problems


# -- output ----------------------------------------------------------------------------------
def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def format_problem(problem: Problem, base: Path) -> str:
    """Return `path[:line]: id: message` with the path relative to `base` when inside it."""
    where = _relative(problem.path, base) + (f":{problem.line}" if problem.line else "")
    return f"{where}: {problem.item}: {problem.message}"


def format_problems(problems: list[Problem], base: Path) -> str:
    """Render the problems for a person: errors, then warnings, then a summary line."""
    errors = [p for p in problems if p.severity == ERROR]
    warnings = [p for p in problems if p.severity != ERROR]
    out = []
    if errors:
        out += [f"errors ({len(errors)}):"] + [format_problem(p, base) for p in errors] + [""]
    if warnings:
        out += [f"warnings ({len(warnings)}):"] + [format_problem(p, base) for p in warnings] + [""]
    verdict = "the data is broken: fix the errors" if errors else "the data is fine"
    out.append(f"{len(errors)} error(s), {len(warnings)} warning(s): {verdict}")
    return "\n".join(out)


def problems_json(problems: list[Problem], base: Path) -> dict[str, Any]:
    """Return the `faqbot check --json` object."""

    def item(p: Problem) -> dict[str, Any]:
        return {"path": _relative(p.path, base), "line": p.line, "id": p.item, "message": p.message,
                "text": format_problem(p, base)}

    errors = [item(p) for p in problems if p.severity == ERROR]
    warnings = [item(p) for p in problems if p.severity != ERROR]
    return {"ok": not errors, "errors": errors, "warnings": warnings}
