"""`faqbot intents` and `faqbot ask --explain`: list, export and explain the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.reply import GuardReport, Reply

EXPLAINED_CANDIDATES = 5  # ranked intents `faqbot ask --explain` describes


def format_intents(kb: KnowledgeBase) -> str:
    """List the intents: id, topic, number of examples, answer title."""
    rows = [(i.id, i.topic, str(len(i.examples)), kb.answers[i.answer].title if i.answer in kb.answers else "?")
            for i in sorted(kb.intents.values(), key=lambda i: (i.topic, i.id))]
    width = max(len(r[0]) for r in rows)
    topic_width = max(len(r[1]) for r in rows)
    lines = [f"{'intent':{width}}  {'topic':{topic_width}}  examples  answer title"]
    lines += [f"{i:{width}}  {t:{topic_width}}  {n:>8}  {title}" for i, t, n, title in rows]
    examples = sum(len(i.examples) for i in kb.intents.values())
    lines.append(f"\n{len(kb.intents)} intents, {len(kb.answers)} answers, {examples} examples, "
                 f"{len(kb.topics)} topics")
    return "\n".join(lines)


def export_knowledge(kb: KnowledgeBase, base: Path | None = None) -> dict[str, Any]:
    """Return the whole knowledge base as JSON-ready data (`faqbot intents --json`)."""

    def rel(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(base.resolve())) if base else str(path)
        except ValueError:
            return str(path)

    return {
        "topics": [{"id": t.id, "title": t.title, "answers": list(t.answers)} for t in kb.topics],
        "intents": [{"id": i.id, "topic": i.topic, "answer": i.answer, "subject": i.subject, "facet": i.facet,
                     "examples": list(i.examples), "path": rel(i.path)} for i in kb.intents.values()],
        "answers": [{"id": a.id, "title": a.title, "text": a.text, "source": a.source, "as_of": a.as_of,
                     "topic": a.topic, "path": rel(a.path)} for a in kb.answers.values()],
        "subjects": {s.id: {"name": s.name, "aliases": list(s.aliases), "described": s.described,
                            "part_of": s.part_of} for s in kb.subjects.values()},
        "facets": {k: list(v) for k, v in kb.facets.items()},
        "acronyms": dict(kb.acronyms),
    }


def format_explanation(reply: Reply, kb: KnowledgeBase) -> str:
    """Render why the engine replied as it did, for `faqbot ask --explain`."""
    e = reply.explanation
    normalized = e.normalized
    decided = f"{reply.status} {reply.intent}" if reply.intent else reply.status
    lines = [f"question     {reply.question}", f"normalised   {normalized or '-'}"]
    acronyms = {k.lower(): v for k, v in kb.acronyms.items()}
    used = [f"{t.upper()} = {acronyms[t]}" for t in dict.fromkeys(normalized.split()) if t in acronyms]
    lines.append(f"acronyms     {'; '.join(used) if used else '-'}")
    lines.append(f"subjects     {', '.join(e.subjects) or '-'}")
    context = e.context
    lines.append("context      " + (f"subject {context[0]!r}, facet {context[1] or '-'!r} (from the conversation)"
                                    if context else "- (no earlier answer in this conversation)"))
    if e.follow_up:
        lines.append(f"follow-up    resolved against subject {e.follow_up!r}")
    candidates = e.candidates
    if candidates:
        lines.append("candidates   (score = blended confidence; tfidf, fuzzy and svm (the classifier's probability) "
                     "are the matcher's sub-scores)")
        for n, c in enumerate(candidates[:EXPLAINED_CANDIDATES], 1):
            svm = f"svm {c.classifier:.3f}  " if c.classifier is not None else ""
            lines.append(f"  {n}. {c.intent:32} score {c.score:.3f}  tfidf {c.tfidf:.3f}  "
                         f"fuzzy {c.fuzzy:.3f}  {svm}{_guard_text(c.guard)}")
            lines.append(f"     nearest example: {c.example!r}")
    lines.append(f"rule         {e.rule or '-'}")
    lines.append(f"decision     {decided} (confidence {reply.confidence:.2f})")
    if reply.suggestions:
        lines.append("suggestions  " + "; ".join(f"{s.intent} ({s.title})" for s in reply.suggestions))
    return "\n".join(lines)


def _guard_text(guard: GuardReport) -> str:
    if guard.passed:
        return "guard: ok"
    reasons = []
    if guard.uncovered:
        reasons.append(f"uncovered terms {', '.join(guard.uncovered)} (share {guard.share:.2f})")
    if guard.foreign_subjects:
        reasons.append(f"other subject {', '.join(guard.foreign_subjects)}")
    if guard.conflict and not guard.foreign_subjects:
        reasons.append("conflict (another subject, something the page does not describe, or a datum it does not give)")
    if guard.asked_uncovered:
        reasons.append("the word asked about is not covered")
    if guard.owner_uncovered and guard.vetoed:
        reasons.append("the last complement is not covered")
    return "guard: refused, " + "; ".join(reasons or ["refused"])


def render_explanation(reply: Reply, answer: str, kb: KnowledgeBase, as_json: bool = False) -> str:
    """Return what `faqbot ask --explain` prints for one reply: the explanation as text, or as JSON.

    `answer` is the text the channel shows for the reply (the JSON's `answer`).
    """
    if as_json:
        data = {**reply.to_json(answer), "explanation": reply.explanation.to_json()}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return format_explanation(reply, kb) + "\n\n"
