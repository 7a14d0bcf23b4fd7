"""Plain engine text -> Telegram HTML messages and inline keyboards; the buttons' callback data.

Callback data (at most 64 bytes) name what a button shows, never a position in a list, so a
button pressed after a /reload either shows what its label says or nothing (``decode`` returns
None and the bot says the button is no longer valid). Version 2, ``2<kind>[:<id>[:<id>]]``:

- ``2a:<intent>``: answer an intent (suggestions, related questions);
- ``2n``: "none of these" after a clarify;
- ``2m``: the /sujets menu; ``2t:<topic>``: a topic's questions; ``2q:<topic>:<answer>``: one
  answer in the browser (which edits its own message).

An id that would not fit, contains ``:`` or starts with ``#`` travels as ``#`` + 12 characters of
its BLAKE2b hash, resolved against the current data. Version 1 buttons (before this scheme)
named positions; of those only ``a:<intent>``, ``n`` and ``t`` (no position) are still honoured.
"""

from __future__ import annotations

import base64
import hashlib
import html
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.channels.telegram import texts
from bot.engine import ANSWERED, CLARIFY, FALLBACK, Engine
from bot.knowledge import KnowledgeBase, Topic
from bot.messages import message
from bot.problems import Problem
from bot.reply import Reply

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
DATA_LIMIT = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
ASCII_DIGITS = frozenset("0123456789")
REPORTED_PROBLEMS = 10  # a refused /reload lists at most this many problems
PROBLEM_PLACE_CHARS = 80  # a reported problem's file:line and item are clipped to this many characters...
PROBLEM_MESSAGE_CHARS = 300  # ... and its message to this many
MORE_LINE_UNITS = 40  # room kept at the end of a /reload report for its « … and N more » line
LONGEST_HEADING = TEXT_LIMIT // 4  # a longer title (a data error) is split like the text, not kept whole
LONGEST_ASCII_INT = 18  # digits `ascii_int` reads at most: enough for any id, never a huge integer to parse
DIGEST_BYTES = 9  # a long id in callback data is replaced by this many bytes of its hash (12 characters)


def ascii_int(text: str) -> int | None:
    """Return the number `text` writes in ASCII decimal digits only, else None.

    `str.isdigit()` and `int()` also accept « ² », « ① » or Arabic-Indic digits: those are text here.
    """
    if not text or len(text) > LONGEST_ASCII_INT or not set(text) <= ASCII_DIGITS:
        return None
    return int(text)


# -- rendering ---------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Escape dynamic text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def units(text: str) -> int:
    """Return the length of `text` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fitting(text: str, limit: int) -> int:
    """Return how many characters of `text` fit in `limit` UTF-16 units (Telegram's measure)."""
    low, high = 0, min(len(text), limit)  # n characters take at least n units
    if units(text[:high]) <= limit:
        return high
    while low < high:  # binary search: measuring a prefix is one C call, a loop over characters is slow
        middle = (low + high + 1) // 2
        low, high = (middle, high) if units(text[:middle]) <= limit else (low, middle - 1)
    return low


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split plain text into pieces of at most `limit` units, at a paragraph, line or word break."""
    pieces = []
    while (end := _fitting(text, limit)) < len(text):
        end = max(end, 1)  # a limit narrower than one character still moves on
        cut = next((i for i in (text.rfind(sep, 0, end + 1) for sep in ("\n\n", "\n", " ")) if i > 0), end)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return [p for p in pieces if p.strip()]


def render_reply(reply: Reply) -> list[str]:
    """Return the HTML messages for a reply: bold title for answers, "voir aussi" before related buttons.

    A clarify offering choices gets this channel's own words (CLARIFY_TEXT) and its choices as
    buttons (see `reply_keyboard`), unless the engine says why it offers them again (a number out
    of range); other texts are the engine's.
    """
    heading = f"{reply.title}\n\n" if reply.status == ANSWERED and reply.title else ""
    see_also = message("see_also", reply.language)
    footer = f"\n\n{see_also}" if reply.related else ""
    clarify = reply.status == CLARIFY and reply.suggestions
    text = (reply.text or texts.text("CLARIFY_TEXT", reply.language)) if clarify else reply.text
    if units(heading) > LONGEST_HEADING:
        heading, text = "", heading + text
    chunks = [escape(p) for p in split_text(text, TEXT_LIMIT - units(heading) - units(footer))] or [""]
    if heading:
        chunks[0] = f"<b>{escape(reply.title)}</b>\n\n{chunks[0]}"
    if footer:
        chunks[-1] += f"\n\n<i>{escape(see_also)}</i>"
    return chunks


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def reload_report(engine: Engine, problems: list[Problem]) -> str:
    """Say, in HTML, whether the reload was applied, listing the first problems (within one message) if not."""
    if not problems:
        return escape(texts.RELOAD_OK.format(intents=len(engine.kb.intents), topics=len(engine.kb.topics)))
    head = texts.RELOAD_REFUSED.format(count=len(problems))
    lines, used = [escape(head)], units(head)
    for shown, p in enumerate(problems):
        where = _clip(f"{p.path.name}:{p.line}" if p.line else p.path.name, PROBLEM_PLACE_CHARS)
        item, message = _clip(p.item, PROBLEM_PLACE_CHARS), _clip(p.message, PROBLEM_MESSAGE_CHARS)
        size = units(f"\n• {where} {item} : {message}")
        if shown == REPORTED_PROBLEMS or used + size > TEXT_LIMIT - MORE_LINE_UNITS:
            lines.append(escape(texts.RELOAD_MORE.format(count=len(problems) - shown)))
            break
        lines.append(f"• <code>{escape(where)}</code> {escape(item)} : {escape(message)}")
        used += size
    return "\n".join(lines)


def stats_text(stats: Mapping[str, float], started: float) -> str:
    """Describe the question counters (HTML-safe)."""
    total = int(stats[ANSWERED] + stats[CLARIFY] + stats[FALLBACK])

    def share(status: str) -> str:
        return texts.PERCENT.format(value=round(100 * stats[status] / total) if total else 0)

    def date(moment: float) -> str:
        return time.strftime(texts.DATE_FORMAT, time.localtime(moment))

    return escape(texts.STATS_TEXT.format(
        since=date(stats["since"]), started=date(started), total=total,
        **{status: int(stats[status]) for status in (ANSWERED, CLARIFY, FALLBACK)},
        **{f"{status}_share": share(status) for status in (ANSWERED, CLARIFY, FALLBACK)},
    ))


# -- callback data -------------------------------------------------------------------------------
VERSION = "2"  # of the callback data's format: a button of another version is stale
ANSWER, NONE, MENU, TOPIC, BROWSE = "a", "n", "m", "t", "q"
_ARITY = {ANSWER: 1, NONE: 0, MENU: 0, TOPIC: 1, BROWSE: 2}


@dataclass(frozen=True)
class Target:
    """What a button opens, resolved against the current data: `kind` and the ids it names."""

    kind: str
    ids: tuple[str, ...] = ()


def _digest(identifier: str) -> str:
    raw = hashlib.blake2b(identifier.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()
    return "#" + base64.urlsafe_b64encode(raw).decode("ascii")  # no padding for a multiple of 3 bytes


def encode(kind: str, *ids: str) -> str:
    """Return the callback data of a button opening `kind` on `ids` (at most 64 bytes)."""
    plain = [i if i and ":" not in i and not i.startswith("#") else _digest(i) for i in ids]
    data = ":".join([VERSION + kind, *plain])
    if len(data.encode("utf-8", "surrogatepass")) > DATA_LIMIT:
        data = ":".join([VERSION + kind, *(_digest(i) for i in ids)])
    return data


def _resolve(token: str, known: Collection[str]) -> str | None:
    """Return the id `token` names among `known` (by itself or by its digest); None if none or ambiguous."""
    if not token.startswith("#"):
        return token if token in known else None
    found = [i for i in known if _digest(i) == token]
    return found[0] if len(found) == 1 else None


def visible_topics(kb: KnowledgeBase, hidden: Iterable[str]) -> list[Topic]:
    """The topics the /sujets browser lists."""
    hidden = set(hidden)
    return [t for t in kb.topics if t.id not in hidden]


def intent_for_answer(kb: KnowledgeBase, answer_id: str) -> str | None:
    """The first intent answered by `answer_id`, or None."""
    return next((i.id for i in kb.intents.values() if i.answer == answer_id), None)


def decode(data: str, kb: KnowledgeBase, hidden_topics: Iterable[str] = ()) -> Target | None:
    """Return what a button's data opens in the current data, or None when it no longer exists.

    Never raises: callback data come from Telegram clients, old messages and forgers alike.
    """
    if data in ("n", "t"):  # version 1 without a position
        return Target(NONE if data == "n" else MENU)
    if data.startswith("a:"):  # version 1 named the intent itself
        return Target(ANSWER, (data[2:],)) if data[2:] in kb.intents else None
    head, *tokens = data.split(":")
    if len(head) != 2 or head[0] != VERSION or _ARITY.get(head[1]) != len(tokens):
        return None
    kind = head[1]
    if kind == ANSWER:
        intent = _resolve(tokens[0], kb.intents)
        return Target(ANSWER, (intent,)) if intent is not None else None
    if kind in (NONE, MENU):
        return Target(kind)
    topics = {t.id: t for t in visible_topics(kb, hidden_topics)}
    topic = _resolve(tokens[0], topics)
    if topic is None:
        return None
    if kind == TOPIC:
        return Target(TOPIC, (topic,))
    answer = _resolve(tokens[1], topics[topic].answers)
    if answer is None or intent_for_answer(kb, answer) is None:
        return None
    return Target(BROWSE, (topic, answer))


def intent_data(kb: KnowledgeBase, intent_id: str) -> str:
    """Return the callback data answering `intent_id`."""
    return encode(ANSWER, intent_id)


def intent_from_data(kb: KnowledgeBase, data: str) -> str | None:
    """Return the intent a button's data answers, or None if it is not (or no longer) an intent button."""
    target = decode(data, kb)
    return target.ids[0] if target is not None and target.kind == ANSWER else None


# -- keyboards -----------------------------------------------------------------------------------
def keyboard(rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per row: (label, callback data)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)] for label, data in rows])


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Suggestions plus "none of these" for a clarify, related questions for an answer or a fallback."""
    if reply.status == CLARIFY and reply.suggestions:
        return keyboard([(s.title, encode(ANSWER, s.intent)) for s in reply.suggestions]
                        + [(texts.text("NONE_OF_THESE", reply.language), encode(NONE))])
    if reply.status in (ANSWERED, FALLBACK) and reply.related:
        return keyboard([(s.title, encode(ANSWER, s.intent)) for s in reply.related])
    return None


def topics_keyboard(kb: KnowledgeBase, hidden_topics: Iterable[str], language: str = "fr") -> InlineKeyboardMarkup:
    return keyboard([(t.title_in(language), encode(TOPIC, t.id)) for t in visible_topics(kb, hidden_topics)])


def topic_keyboard(kb: KnowledgeBase, topic: Topic, language: str = "fr") -> InlineKeyboardMarkup:
    rows = [(kb.answers[a].title_in(language), encode(BROWSE, topic.id, a)) for a in topic.answers if a in kb.answers]
    return keyboard(rows + [(texts.text("BACK_TO_TOPICS", language), encode(MENU))])


def browse_keyboard(topic: Topic, language: str = "fr") -> InlineKeyboardMarkup:
    return keyboard([(texts.text("BACK_TO_QUESTIONS", language), encode(TOPIC, topic.id)),
                     (texts.text("BACK_TO_TOPICS", language), encode(MENU))])
