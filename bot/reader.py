"""Read and validate knowledge/ (answers) and intents/ (question examples) into one KnowledgeBase.

Every file that parses is read and every problem is collected (``read_data``) instead of stopping at
the first; ``load_knowledge`` then cross-checks the data and raises KnowledgeError listing them all.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.knowledge import Answer, Intent, KnowledgeBase, Subject, Topic
from bot.language import TRANSLATED
from bot.messages import subject_name
from bot.problems import KnowledgeError, Lines, Problem, unclosed_line
from bot.text import Lexicon, french_typography, normalize

# Schemas: key -> (type, required). Anything else in a table is reported as unknown.
_ANSWER_KEYS: dict[str, tuple[type, bool]] = {
    "id": (str, True), "title": (str, True), "text": (str, True), "source": (str, True), "as_of": (str, False),
    "items": (list, False),
    # Curated translations (English, Arabic) of the title and text.
    "title_en": (str, False), "title_ar": (str, False), "text_en": (str, False), "text_ar": (str, False),
}
_INTENT_KEYS: dict[str, tuple[type, bool]] = {
    "id": (str, True), "answer": (str, True), "examples": (list, True), "subject": (str, False), "facet": (str, False),
    "examples_en": (list, False), "examples_ar": (list, False),
}
_KNOWLEDGE_FILE_KEYS = {"topic": str, "title": str, "answers": list, "acronyms": dict, "title_en": str, "title_ar": str}
_INTENTS_FILE_KEYS = {"topic": str, "intents": list, "subjects": dict, "facets": dict, "synonyms": dict,
                      "out_of_scope": list}
_SUBJECT_KEYS: dict[str, tuple[type, bool]] = {
    "name": (str, True), "aliases": (list, True), "described": (bool, False), "part_of": (str, False),
    "aliases_en": (list, False), "aliases_ar": (list, False),
    "members": (list, False), "members_en": (list, False), "members_ar": (list, False),
    "places": (list, False), "places_en": (list, False), "places_ar": (list, False),
}
_FACET_KEYS: dict[str, tuple[type, bool]] = {
    "triggers": (list, True), "exclusive": (bool, False), "triggers_en": (list, False), "triggers_ar": (list, False),
}
_ID_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_TOML_LINE_RE = re.compile(r"line (\d+)")


class _Collector:
    """Accumulate problems while reading files, remembering each file's text to find lines."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.lines = Lines()

    def read_toml(self, path: Path) -> dict[str, Any] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.add(path, None, "-", f"cannot read the file ({exc}); save it as UTF-8")
            return None
        self.lines.remember(path, text)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_LINE_RE.search(str(exc))
            line = int(match.group(1)) if match else unclosed_line(text)
            self.add(path, line, "-", f"TOML syntax error: {exc}; fix the syntax (quotes, brackets, commas)")
            return None

    def line_of(self, path: Path, item_id: str) -> int | None:
        """Return the line where `id = "item_id"` (or a table named item_id) is written."""
        return self.lines.of_id(path, item_id)

    def add(self, path: Path, line: int | None, item: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(path, line, item, message, severity))

    def add_at(self, path: Path, item: str, message: str, severity: str = "error") -> None:
        """Report a problem on `item`, locating its line only now (the search is slow on big files)."""
        self.add(path, self.line_of(path, item), item, message, severity)

    def check_table(self, path: Path, item: str, table: Any, schema: dict[str, tuple[type, bool]], what: str) -> bool:
        """Report unknown/missing keys and wrong types of one table; return True when usable."""
        if not isinstance(table, dict):
            self.add_at(path, item, f"each {what} must be a table, got {type(table).__name__}")
            return False
        ok = True
        for key in sorted(set(table) - set(schema)):
            self.add_at(path, item, f"unknown key {key!r} in {what}; allowed: {', '.join(schema)}")
        for key, (kind, required) in schema.items():
            if key not in table:
                if required:
                    self.add_at(path, item, f"missing key {key!r} in {what}")
                    ok = False
            elif not isinstance(table[key], kind):
                self.add_at(path, item, f"{key!r} must be a {kind.__name__}, got {type(table[key]).__name__}")
                ok = False
        return ok


def _item(table: Any) -> str:
    """Return how to name a table in a problem: its id, or `id = 5` when the id is not a string."""
    if not isinstance(table, dict) or "id" not in table:
        return "?"
    return table["id"] if isinstance(table["id"], str) else f"id = {table['id']!r}"


def _check_file_keys(col: _Collector, path: Path, raw: dict[str, Any], allowed: dict[str, type]) -> None:
    for key, value in raw.items():
        if key not in allowed:
            col.add(path, None, "-", f"unknown top-level key {key!r}; allowed: {', '.join(allowed)}")
        elif not isinstance(value, allowed[key]):
            col.add(path, None, "-", f"top-level {key!r} must be a {allowed[key].__name__}")


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """Return a top-level table, or {} when it has the wrong type (_check_file_keys reported it)."""
    value = raw.get(key, {})
    return value if isinstance(value, dict) else {}


def _translations(table: dict[str, Any], key: str) -> dict[str, str]:
    """Return the non-empty translations of `key` (`key_en`, `key_ar`) in a table."""
    found = {lang: table.get(f"{key}_{lang}") for lang in TRANSLATED}
    return {lang: value.strip() for lang, value in found.items() if isinstance(value, str) and value.strip()}


def _strings(col: _Collector, path: Path, item: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    """Return the stripped strings of the list `key` of a table, reporting any empty or non-string entry."""
    values = table.get(key, [])
    values = values if isinstance(values, list) else []  # check_table reported the wrong type
    bad = [v for v in values if not isinstance(v, str) or not v.strip()]
    if bad:
        col.add(path, col.line_of(path, item), item, f"{key} must be non-empty strings, found {bad[0]!r}")
    return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())


def _translated(col: _Collector, path: Path, item: str, table: dict[str, Any], key: str) -> dict[str, tuple[str, ...]]:
    """Return the strings of `key`_en, `key`_ar… of a table, by language (see `_strings`)."""
    return {lang: _strings(col, path, item, table, f"{key}_{lang}") for lang in TRANSLATED}


def _in_every_language(col: _Collector, path: Path, item: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    """Return the strings of `key` then of its translations (`key`_en, `key`_ar…)."""
    return _strings(col, path, item, table, key) + tuple(
        v for values in _translated(col, path, item, table, key).values() for v in values)


def _new_tables(col: _Collector, path: Path, raw: dict[str, Any], key: str, allowed: dict[str, Any], kind: str,
                known: Mapping[str, Answer | Intent]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield the id and table of each well-formed [[key]] table of a file whose id is not `known` yet.

    The others are reported: a malformed table, or a duplicate id (pointing at its own copy).
    """
    tables = raw.get(key, [])
    seen: Counter[str] = Counter()  # ids met in this file
    for table in tables if isinstance(tables, list) else []:
        item = _item(table)
        seen[item] += 1
        if not col.check_table(path, item, table, allowed, kind):
            continue
        if item in known:
            col.add(path, col.lines.of_id(path, item, nth=seen[item] - 1), item,
                    f"duplicate {kind} id (also in {known[item].path.name}); rename one")
            continue
        yield item, table


def _read_answers(col: _Collector, folder: Path) -> tuple[dict[str, Answer], list[Topic], dict[str, str]]:
    answers: dict[str, Answer] = {}
    topics: list[Topic] = []
    acronyms: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        raw = col.read_toml(path)
        if raw is None:
            continue
        _check_file_keys(col, path, raw, _KNOWLEDGE_FILE_KEYS)
        acronyms.update({str(k): str(v) for k, v in _table(raw, "acronyms").items()})
        topic = str(raw.get("topic", path.stem))
        ids = []
        for item, table in _new_tables(col, path, raw, "answers", _ANSWER_KEYS, "answer", answers):
            if not _ID_RE.match(item):
                col.add(path, col.line_of(path, item), item, "ids use lowercase letters, digits, '_' and '.' only")
            answers[item] = Answer(
                id=item, title=french_typography(table["title"].strip()), text=french_typography(table["text"].strip()),
                source=table["source"].strip(), topic=topic, path=path, as_of=table.get("as_of", ""),
                items=tuple(map(str, table.get("items", []))),
                titles=_translations(table, "title"), texts=_translations(table, "text"),
            )
            ids.append(item)
        if ids:
            topics.append(Topic(topic, str(raw.get("title", topic)), tuple(ids), _translations(raw, "title")))
    return answers, topics, acronyms


def _read_subjects(col: _Collector, path: Path, raw: dict[str, Any], subjects: dict[str, Subject]) -> None:
    for sid, table in _table(raw, "subjects").items():
        if not col.check_table(path, sid, table, _SUBJECT_KEYS, "subject"):
            continue
        if sid in subjects:
            col.add(path, col.line_of(path, sid), sid, "subject defined twice")
        translated = _translated(col, path, sid, table, "aliases")
        aliases = tuple(map(str, table["aliases"])) + tuple(a for lang in TRANSLATED for a in translated[lang])
        # Its people (« policiers », « police officers ») name a subject too, unless the question names
        # a described subject they belong to (bot/dialogue.py, mentioned_subjects).
        members = _in_every_language(col, path, sid, table, "members")
        # Its place (« Nouakchott », « Mauritanie ») names it too, unless the question names a subject the
        # page does not describe, whose place it then says (bot/dialogue.py, mentioned_subjects).
        places = _in_every_language(col, path, sid, table, "places")
        subjects[sid] = Subject(sid, table["name"], aliases + places + members, table.get("described", True),
                                table.get("part_of", ""),
                                {lang: subject_name(table["name"], names[0], lang)
                                 for lang, names in translated.items() if names},
                                len(table["aliases"]), frozenset(members), frozenset(places))


def _read_intents(col: _Collector, folder: Path) -> tuple[
        dict[str, Intent], dict[str, Subject], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], frozenset[str],
        tuple[str, ...], dict[str, frozenset[str]]]:
    intents: dict[str, Intent] = {}
    out_of_scope: list[str] = []
    subjects: dict[str, Subject] = {}
    facets: dict[str, tuple[str, ...]] = {}
    synonyms: dict[str, tuple[str, ...]] = {}
    exclusive: set[str] = set()
    trigger_languages: dict[str, set[str]] = {}  # each trigger, with the languages it is written for
    for path in sorted(folder.glob("*.toml")):
        raw = col.read_toml(path)
        if raw is None:
            continue
        _check_file_keys(col, path, raw, _INTENTS_FILE_KEYS)
        _read_subjects(col, path, raw, subjects)
        for fid, table in _table(raw, "facets").items():
            if col.check_table(path, fid, table, _FACET_KEYS, "facet"):
                by_language = {"fr": tuple(map(str, table["triggers"])),
                               **_translated(col, path, fid, table, "triggers")}
                facets[fid] = tuple(t for triggers in by_language.values() for t in triggers)
                for lang, triggers in by_language.items():
                    for t in triggers:
                        trigger_languages.setdefault(t, set()).add(lang)
                if table.get("exclusive"):
                    exclusive.add(fid)
        for word, variants in _table(raw, "synonyms").items():
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                col.add(path, col.line_of(path, word), word, "synonyms must be a list of strings")
            else:
                synonyms[word] = tuple(variants)
        oos = raw.get("out_of_scope", [])
        if not isinstance(oos, list) or not all(isinstance(q, str) and q.strip() for q in oos):
            col.add(path, col.line_of(path, "out_of_scope"), "out_of_scope", "out_of_scope must be a list of questions")
        else:
            out_of_scope.extend(q.strip() for q in oos)
        topic = str(raw.get("topic", path.stem))
        for item, table in _new_tables(col, path, raw, "intents", _INTENT_KEYS, "intent", intents):
            by_language = {"fr": _strings(col, path, item, table, "examples"),
                           **_translated(col, path, item, table, "examples")}
            examples = tuple(e for group in by_language.values() for e in group)
            intents[item] = Intent(item, table["answer"], topic, path, examples,
                                   table.get("subject", ""), table.get("facet", ""), by_language)
    return (intents, subjects, facets, synonyms, frozenset(exclusive), tuple(out_of_scope),
            {t: frozenset(langs) for t, langs in trigger_languages.items()})


def _cross_check(col: _Collector, answers: dict[str, Answer], intents: dict[str, Intent],
                 subjects: dict[str, Subject], facets: dict[str, tuple[str, ...]], knowledge_dir: Path,
                 intents_dir: Path) -> None:
    # An answer or a subject written in a file that failed to load has its own error (syntax, key,
    # type): the intents naming it are not reported too. One cause, one line. The files are searched
    # only when something is missing, not at every start.
    def written_answer(answer_id: str) -> bool:
        return answer_id in col.lines.written(knowledge_dir, r"""^\s*id\s*=\s*["']([^"']+)["']""")

    def written_subject(subject_id: str) -> bool:
        return subject_id in col.lines.written(intents_dir, r"^\s*\[subjects\.([A-Za-z0-9_-]+)\]")

    first_id: dict[tuple[str, str], str] = {}  # smallest intent id answering each (subject, facet)
    for o in intents.values():
        key = (o.subject, o.facet)
        if key not in first_id or o.id < first_id[key]:
            first_id[key] = o.id
    for intent in intents.values():
        if intent.answer not in answers and not written_answer(intent.answer):
            col.add_at(intent.path, intent.id,
                       f"points at answer {intent.answer!r}, which no file in knowledge/ defines")
        if intent.subject and intent.subject not in subjects and not written_subject(intent.subject):
            col.add_at(intent.path, intent.id,
                       f"unknown subject {intent.subject!r}; define it under [subjects] in intents/")
        if intent.facet and intent.subject and first_id[(intent.subject, intent.facet)] < intent.id:
            col.add_at(intent.path, intent.id,
                       f"another intent already answers facet {intent.facet!r} of {intent.subject!r}")
        if not intent.examples:
            col.add_at(intent.path, intent.id, "has no examples; add at least a few questions")
    answered = {intent.answer for intent in intents.values()}
    for answer in answers.values():
        if not answer.text:
            col.add(answer.path, col.line_of(answer.path, answer.id), answer.id, "empty answer text")
        for item in answer.items:
            if item not in answered:
                col.add(answer.path, col.line_of(answer.path, answer.id), answer.id,
                        f"items names {item!r}, which is not an answer any intent gives")


def _names(subjects: dict[str, Subject]) -> list[str]:
    """Return every name of the subjects: their aliases, members and places, in every language."""
    return [name for s in subjects.values() for name in (*s.aliases, *s.members, *s.places)]


@dataclass(frozen=True)
class DataRead:
    """What could be read of the data, even when some of it is broken, with the problems found."""

    answers: dict[str, Answer]
    topics: list[Topic]
    acronyms: dict[str, str]
    intents: dict[str, Intent]
    subjects: dict[str, Subject]
    facets: dict[str, tuple[str, ...]]
    synonyms: dict[str, tuple[str, ...]]
    exclusive: frozenset[str]
    out_of_scope: tuple[str, ...]
    trigger_languages: dict[str, frozenset[str]]
    problems: list[Problem]
    lines: Lines

    @cached_property
    def lexicon(self) -> Lexicon:
        return Lexicon(self.acronyms, self.synonyms, names=_names(self.subjects))

    def normalize(self, text: str) -> str:
        """Normalise `text` with the acronyms and synonyms read."""
        return normalize(text, self.lexicon)


# An alias or a trigger written in normalised form, the apostrophe as a space (« chef d etat major »,
# « a l avenir »), is read as written with it: questions' « d'état » reads « de etat », never « d etat ».
_LONE_ELISION_RE = re.compile(r"\b(qu|[cdjlmns]) (?=[aeiouyhàâéèêëîïôûù])")


def _elided(phrase: str) -> str:
    return _LONE_ELISION_RE.sub(r"\1'", phrase)


def _by_normalised(trigger_languages: dict[str, frozenset[str]], table: Lexicon) -> dict[str, frozenset[str]]:
    """Return the languages of each trigger as questions read it (two triggers may read the same)."""
    found: dict[str, frozenset[str]] = {}
    for trigger, languages in trigger_languages.items():
        key = normalize(_elided(trigger), table)
        found[key] = found.get(key, frozenset()) | languages
    return found


def read_data(knowledge_dir: Path, intents_dir: Path) -> DataRead:
    """Read every answer and intent that parses, collecting the problems instead of stopping at the first."""
    return _read_all(_Collector(), knowledge_dir, intents_dir)


def _read_all(col: _Collector, knowledge_dir: Path, intents_dir: Path) -> DataRead:
    for folder in (knowledge_dir, intents_dir):
        if not folder.is_dir():
            col.add(folder, None, "-", "folder not found; check [paths] in config.toml")
    answers, topics, acronyms = _read_answers(col, knowledge_dir) if knowledge_dir.is_dir() else ({}, [], {})
    intents, subjects, facets, synonyms, exclusive, out_of_scope, trigger_languages = (
        _read_intents(col, intents_dir) if intents_dir.is_dir() else ({}, {}, {}, {}, frozenset(), (), {}))
    return DataRead(answers, topics, acronyms, intents, subjects, facets, synonyms, exclusive, out_of_scope,
                    trigger_languages, col.problems, col.lines)


def load_knowledge(knowledge_dir: Path, intents_dir: Path, language: str = "fr") -> KnowledgeBase:
    """Read and validate the data; raise KnowledgeError listing every error found.

    `language` is the data's reference language ([text] language): it selects the normalisation.
    """
    col = _Collector()
    if not (knowledge_dir.is_dir() and intents_dir.is_dir()):
        raise KnowledgeError(read_data(knowledge_dir, intents_dir).problems)
    data = _read_all(col, knowledge_dir, intents_dir)
    answers, topics, acronyms, intents = data.answers, data.topics, data.acronyms, data.intents
    subjects, facets, synonyms = data.subjects, data.facets, data.synonyms
    exclusive, out_of_scope = data.exclusive, data.out_of_scope
    _cross_check(col, answers, intents, subjects, facets, knowledge_dir, intents_dir)
    if not intents:
        col.add(intents_dir, None, "-", "no intents found")
    if any(p.severity == "error" for p in col.problems):
        raise KnowledgeError(col.problems)
    for subject in subjects.values():
        if subject.part_of and subject.part_of not in subjects:
            col.add(intents_dir, None, subject.id, f"part_of names unknown subject {subject.part_of!r}")
    if any(p.severity == "error" for p in col.problems):
        raise KnowledgeError(col.problems)
    table = Lexicon(acronyms, synonyms, language, names=_names(subjects))
    return KnowledgeBase(
        answers=answers, intents=intents, topics=tuple(topics), lexicon=table, acronyms=acronyms,
        subjects={k: replace(s, aliases=tuple(normalize(_elided(a), table) for a in s.aliases),
                             members=frozenset(normalize(m, table) for m in s.members),
                             places=frozenset(normalize(p, table) for p in s.places)) for k, s in subjects.items()},
        facets={k: tuple(normalize(_elided(t), table) for t in v) for k, v in facets.items()},
        exclusive_facets=exclusive, out_of_scope=out_of_scope,
        trigger_languages=_by_normalised(data.trigger_languages, table),
    )
