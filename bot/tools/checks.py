"""`faqbot check`: validate knowledge/ and intents/ beyond what loading them needs.

Loading (bot/reader.py) already reports syntax errors, unknown or missing keys, wrong types,
duplicate ids and intents pointing at missing answers; bot/provenance.py, which the engine runs on
every load, reports facts the source document does not contain. This module adds the checks a
maintainer needs after editing the data: duplicate and near-duplicate examples, too few examples,
empty titles, answers too long for one Telegram message, answers no intent uses, and settings of
config.toml naming a topic or an answer the data does not define.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.config import Config
from bot.knowledge import Answer, Intent
from bot.language import DEFAULT_LANGUAGE
from bot.messages import message
from bot.problems import KnowledgeError, Lines, Problem
from bot.provenance import check_provenance, find_facts
from bot.reader import DataRead, load_knowledge, read_data
from bot.text import content_tokens
from bot.tools.translations import check_translations

TELEGRAM_MAX_CHARS = 4096  # Telegram counts UTF-16 code units of the text after entity parsing
ERROR, WARNING = "error", "warning"


# -- checks ------------------------------------------------------------------------------------
def check_data(config: Config) -> list[Problem]:
    """Return every problem in the data: loading errors first, then the maintainers' checks."""
    try:
        load_knowledge(config.paths.knowledge, config.paths.intents)
        problems: list[Problem] = []
    except KnowledgeError as exc:
        problems = list(exc.problems)
    data = read_data(config.paths.knowledge, config.paths.intents)
    lines = data.lines
    m = config.maintenance
    problems += check_examples(data, lines, m.near_duplicate_score, m.min_examples)
    problems += check_answers(data, lines, config.paths.intents)
    problems += check_provenance(data.answers.values(), config.paths.source, config.path, lines)
    problems += check_translations(data, lines, m.min_examples)
    problems += check_settings(config, data)
    # Errors first; otherwise the reading order, so a root cause comes before what it breaks.
    return sorted(dict.fromkeys(problems), key=lambda p: p.severity != ERROR)


def check_settings(config: Config, data: DataRead) -> list[Problem]:
    """Report the settings of config.toml that name a topic or an answer the data does not define.

    A misspelt topic in a list of hidden topics would silently show it; a misspelt answer would make
    /contact or /source answer « not found ».
    """
    topics = {t.id for t in data.topics}
    named = [("dialogue", "small_talk_topics", config.dialogue.small_talk_topics, topics, "topic"),
             ("dialogue", "help_line_hidden_topics", config.dialogue.help_line_hidden_topics, topics, "topic"),
             ("telegram", "hidden_topics", config.telegram.hidden_topics, topics, "topic"),
             ("telegram", "contact_answer", (config.telegram.contact_answer,), set(data.answers), "answer"),
             ("telegram", "source_answer", (config.telegram.source_answer,), set(data.answers), "answer")]
    problems = []
    config_lines = data.lines.of(config.path)  # read once, with the data files
    for section, key, values, known, kind in named:
        line = next((n for n, text in enumerate(config_lines, 1) if re.match(rf"\s*{key}\s*=", text)), None)
        for value in values:
            if value not in known:
                near = difflib.get_close_matches(value, sorted(known), n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                problems.append(Problem(config.path, line, f"[{section}] {key}",
                                        f"names {kind} '{value}', which no knowledge file defines{hint}"))
    return problems


def check_examples(data: DataRead, lines: Lines, near_bound: float, min_examples: int) -> list[Problem]:
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


def _place(intent: Intent, example: str, lines: Lines) -> str:
    line = lines.of_text(intent.path, intent.id, example, quoted=True)
    return f"{intent.path.name}:{line}" if line else intent.path.name


def _near_duplicates(rows: list[tuple[Intent, str, str]], lines: Lines, bound: float,
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


def rendered_text(answer: Answer, language: str = DEFAULT_LANGUAGE) -> str:
    """Return the visible text of an answer as Telegram shows it in `language`: title, text, "voir aussi" footer,
    and under a translation the notice that it is unofficial (given once, with the first translated answer)."""
    notice = message("unofficial", language)
    body = answer.text_in(language) + (f"\n\n{notice}" if notice else "")
    return f"{answer.title_in(language)}\n\n{body}\n\n{message('see_also', language)}"


def telegram_length(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def check_answers(data: DataRead, lines: Lines, intents_dir: Path) -> list[Problem]:
    """Report empty titles, answers too long for Telegram, unused answers and undated dated facts."""
    problems = []
    written = lines.written(intents_dir, r"""^\s*answer\s*=\s*["']([^"']+)["']""")
    used = {intent.answer for intent in data.intents.values()} | written
    for answer in data.answers.values():
        line = lines.of_id(answer.path, answer.id)
        if not answer.title:
            problems.append(Problem(answer.path, line, answer.id, "empty title; write the question it answers"))
        for language in (DEFAULT_LANGUAGE, *sorted(answer.texts)):
            length = telegram_length(rendered_text(answer, language))
            if length > TELEGRAM_MAX_CHARS:
                version = "answer" if language == DEFAULT_LANGUAGE else f"its {language} version"
                problems.append(Problem(answer.path, line, answer.id,
                                        f"{version} is {length} characters once rendered (title, text, footer), "
                                        f"more than one Telegram message ({TELEGRAM_MAX_CHARS}); shorten it or split "
                                        "it in two"))
        if answer.id not in used:
            problems.append(Problem(answer.path, line, answer.id,
                                    f"no intent uses this answer; add an intent with answer = \"{answer.id}\" in "
                                    "intents/ or delete the answer", WARNING))
        if answer.as_of and answer.text and not find_facts(answer.text, kinds={"date"}):
            problems.append(Problem(answer.path, line, answer.id,
                                    f"as_of = {answer.as_of!r} but the text gives no date; add « (information du "
                                    "…) » so users know the fact may be out of date", WARNING))
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
