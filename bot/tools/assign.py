"""`faqbot review --assign / --interactive`: write reviewed questions into intents/*.toml and remember them.

Examples go to the `examples` of the chosen intent, in the file that defines it; out-of-scope questions
go to the file-level `out_of_scope = [...]` list of intents/out-of-scope.toml. tomlkit keeps the files'
comments and layout. Handled questions are remembered next to the log so review does not propose them again.
"""

from __future__ import annotations

import difflib
import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.config import Config
from bot.knowledge import KnowledgeBase
from bot.tools.review import QUESTION_CHARS_SHOWN, QUESTIONS_SHOWN, ReviewGroup

OUT_OF_SCOPE = "out_of_scope"
OUT_OF_SCOPE_FILE = "out-of-scope.toml"


class AssignError(Exception):
    """An assignment names no intent, or a file cannot be written."""


@dataclass(frozen=True)
class Written:
    """Questions added to one target."""

    target: str  # an intent id or OUT_OF_SCOPE
    path: Path
    questions: tuple[str, ...]


def parse_assignment(text: str) -> tuple[str, str]:
    """Split "QUESTION=intent.id" (the last '=' separates them) into (question, target)."""
    question, sep, target = text.rpartition("=")
    if not sep or not question.strip() or not target.strip():
        raise AssignError(f"--assign {text!r}: write it as \"QUESTION=intent.id\" or \"QUESTION={OUT_OF_SCOPE}\"")
    return question.strip(), target.strip()


def check_target(kb: KnowledgeBase, target: str) -> None:
    """Raise AssignError unless `target` is an intent of the data or OUT_OF_SCOPE."""
    if target != OUT_OF_SCOPE and target not in kb.intents:
        close = difflib.get_close_matches(target, [*kb.intents, OUT_OF_SCOPE], n=1)
        hint = f"did you mean {close[0]}?" if close else "see `faqbot intents`"
        raise AssignError(f"{target!r} is not an intent of the data (nor {OUT_OF_SCOPE}); {hint}")


def group_of(question: str, groups: Iterable[ReviewGroup], kb: KnowledgeBase) -> list[str]:
    """Return the questions of the review group holding `question` (once normalised), or just `question`."""
    wanted = kb.normalize(question)
    for group in groups:
        if any(kb.normalize(text) == wanted for text, _ in group.questions):
            return [text for text, _ in group.questions]
    return [question]


def write_examples(kb: KnowledgeBase, intents_dir: Path, target: str, questions: Iterable[str]) -> Written:
    """Append the questions the target does not have yet (once normalised) to its TOML file."""
    import tomlkit

    check_target(kb, target)
    if target == OUT_OF_SCOPE:
        path, existing = intents_dir / OUT_OF_SCOPE_FILE, kb.out_of_scope
    else:
        path, existing = kb.intents[target].path, kb.intents[target].examples
    seen = {kb.normalize(e) for e in existing}
    new = []
    for q in questions:
        if kb.normalize(q) not in seen:
            seen.add(kb.normalize(q))
            new.append(q)
    if not new:
        return Written(target, path, ())
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        if target == OUT_OF_SCOPE:
            if OUT_OF_SCOPE not in doc:
                doc[OUT_OF_SCOPE] = tomlkit.array().multiline(True)
            doc[OUT_OF_SCOPE].extend(new)
        else:
            table = next(t for t in doc["intents"] if t.get("id") == target)
            table["examples"].extend(new)
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    except (OSError, StopIteration, KeyError, tomlkit.exceptions.TOMLKitError) as exc:
        raise AssignError(f"{path}: cannot add the examples of {target} ({exc.__class__.__name__}: {exc})") from None
    return Written(target, path, tuple(new))


class Handled:
    """The questions already handled by a review, kept as JSON lines next to the unanswered log."""

    def __init__(self, log: Path) -> None:
        self.path = log.with_suffix(".reviewed.jsonl")

    def normalized(self) -> set[str]:
        """Return the normalised questions handled so far (unreadable lines are skipped)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return set()
        found = set()
        for line in lines:
            try:
                found.add(json.loads(line)["normalized"])
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def remember(self, kb: KnowledgeBase, written: Written, questions: Iterable[str]) -> None:
        """Record the questions handled for `written.target`, those already present included."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        records = [{"time": stamp, "question": q, "normalized": kb.normalize(q), "target": written.target}
                   for q in questions]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


PROMPT = "assign to [intent id | y = {nearest} | o = out of scope | Enter = skip | q = quit]: "


def ask_targets(groups: list[ReviewGroup], kb: KnowledgeBase, lines: Iterator[str],
                out: TextIO) -> Iterator[tuple[list[str], str]]:
    """Yield (questions, target) for each group the maintainer assigns, reading answers from `lines`."""
    for n, group in enumerate(groups, 1):
        near = f"nearest {group.nearest} ({group.score:.2f})" if group.nearest else "no similar intent"
        out.write(f"\n{n}/{len(groups)}. {group.count}x, {near}: {group.suggestion}\n")
        out.writelines(f"     {text[:QUESTION_CHARS_SHOWN]}\n" for text, _ in group.questions[:QUESTIONS_SHOWN])
        while True:
            out.write(PROMPT.format(nearest=group.nearest or "-"))
            out.flush()
            answer = next(lines, "q").strip()
            target = {"y": group.nearest or "", "o": OUT_OF_SCOPE}.get(answer.lower(), answer)
            if answer.lower() == "q":
                return
            if not target:
                break  # skipped: proposed again next time
            try:
                check_target(kb, target)
            except AssignError as exc:
                out.write(f"{exc}\n")
                continue
            yield [text for text, _ in group.questions], target
            break


def assign_all(kb: KnowledgeBase, intents_dir: Path, pairs: Iterable[tuple[list[str], str]], handled: Handled,
               out: TextIO) -> list[Written]:
    """Write each (questions, target) pair into the data, remember them and say what was written."""
    done = []
    for questions, target in pairs:
        written = write_examples(kb, intents_dir, target, questions)
        handled.remember(kb, written, questions)
        where = "the out-of-scope questions" if target == OUT_OF_SCOPE else f"the examples of {target}"
        out.write(f"{len(written.questions)} question(s) added to {where} ({written.path})"
                  + (f"; {len(questions) - len(written.questions)} already there" if
                     len(written.questions) < len(questions) else "") + "\n")
        done.append(written)
    return done


def review_and_write(config: Config, kb: KnowledgeBase, groups: list[ReviewGroup], handled: Handled,
                     assignments: list[str], lines: Iterator[str] | None, out: TextIO = sys.stdout,
                     err: TextIO = sys.stderr) -> int:
    """Write the --assign pairs and, when `lines` is given, the groups assigned interactively; then check the data.

    Return the exit code: 1 when `faqbot check` finds errors in the data written.
    """
    from bot.tools.checks import check_data, format_problems

    pairs = []
    for text in assignments:
        question, target = parse_assignment(text)
        check_target(kb, target)
        pairs.append((group_of(question, groups, kb), target))
    if lines is not None:
        pairs += ask_targets(groups, kb, lines, out)
    written = assign_all(kb, config.paths.intents, pairs, handled, out)
    if not any(w.questions for w in written):
        out.write("nothing written\n")
        return 0
    problems = check_data(config)
    report = format_problems(problems, config.path.parent)
    out.write(f"faqbot check: {report.splitlines()[-1]}\n")
    if any(p.severity == "error" for p in problems):
        err.write(format_problems([p for p in problems if p.severity == "error"], config.path.parent) + "\n")
        return 1
    out.write("measure with `faqbot eval --no-loo`, then send /reload to the running bot\n")
    return 0
