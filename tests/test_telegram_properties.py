"""Property-based tests of the Telegram rendering: whatever the text, every message Telegram gets
is valid HTML of the tags we emit and at most 4096 characters as Telegram counts them (UTF-16 code
units of the text after entity parsing), and nothing but whitespace is lost when a text is split.

The rendering functions are called directly (no HTTP), so each property runs its examples in seconds.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

from fakebotapi import plain_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram import (
    DATA_LIMIT,
    SEE_ALSO,
    TEXT_LIMIT,
    intent_data,
    intent_from_data,
    reload_report,
    render_reply,
    split_text,
)
from bot.engine import ANSWERED, CLARIFY, FALLBACK, Engine
from bot.knowledge import KnowledgeBase
from bot.problems import Problem
from bot.reply import Reply, Suggestion

EXAMPLES = 2000
PROPERTIES = settings(max_examples=EXAMPLES, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture])

# Characters that break naive code: controls, bidi marks and overrides, zero-width, BOM, combining
# marks, astral emoji (2 UTF-16 units), ZWJ sequences, flags, Arabic, and our own markup's specials.
SPECIALS = ("\x00\x07\x0b\x0c\x1b\x7f\x85\u2028\u2029\r\n\t \u00a0\u200b\u200c\u200d\u200e\u200f\u202a\u202e"
            "\u2066\u2069\ufeff\u0301\u0327\u0345😀👍🏽👨‍👩‍👧🇫🇷𝔘𐍈مرحبا<>&;\"'/*_[]`~|aé")
# Long strings repeat a short random chunk: hypothesis draws a few dozen characters, not 100,000.
def repeated(chunks: st.SearchStrategy[str], most: int) -> st.SearchStrategy[str]:
    return st.tuples(chunks, st.integers(min_value=1, max_value=most)).map(lambda c_n: (c_n[0] * c_n[1])[:100_000])


short_text = st.text(max_size=300)
special = st.text(alphabet=st.sampled_from(SPECIALS), min_size=1, max_size=40)
# Words and separators around the 4096 boundary exercise the paragraph / line / word cuts.
near_limit = st.lists(st.tuples(st.sampled_from(["mot", "😀😀", "&amp;", "<b>", "x" * 700, "é" * 4090]),
                                st.sampled_from([" ", "\n", "\n\n", "", "  \n \n"])),
                      max_size=40).map(lambda parts: "".join(w + s for w, s in parts))
any_text = st.one_of(
    short_text,
    special,
    repeated(st.text(min_size=1, max_size=60), 2000),  # up to 100,000 characters of any Unicode
    repeated(special, 2000),
    repeated(st.sampled_from(["a", "é", "😀", "\u0301", "<", "&", "👨\u200d👩\u200d👧"]), 12_000),  # one long word
    near_limit,
)
titles = st.one_of(st.text(max_size=120), special, repeated(st.sampled_from(["t", "😀", "<&>"]), 3000))
suggestions = st.lists(st.builds(Suggestion, st.text(min_size=1, max_size=40), titles), max_size=3)


def units(text: str) -> int:
    """Telegram's length: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


TOKEN = re.compile(r"<(/?)(b|i|code)>|&(lt|gt|amp);|([<>&])")


def strict_plain(message: str) -> str:
    """Parse `message` accepting only what we emit: <b>, <i>, <code> properly nested, &lt; &gt; &amp;."""
    stack: list[str] = []
    plain: list[str] = []
    position = 0
    for match in TOKEN.finditer(message):
        plain.append(message[position:match.start()])
        position = match.end()
        closing, tag, entity, stray = match.groups()
        assert stray is None, f"unescaped {stray!r} at {match.start()} in {message[:200]!r}"
        if entity:
            plain.append(html.unescape(match.group()))
        elif closing:
            assert stack and stack.pop() == tag, f"unbalanced </{tag}> in {message[:200]!r}"
        else:
            assert tag not in stack, f"nested <{tag}>"
            stack.append(tag)
    assert stack == [], f"unclosed {stack} in {message[:200]!r}"
    plain.append(message[position:])
    return "".join(plain)


def check_message(message: str) -> str:
    """Assert Telegram would accept `message` (HTML parse mode); return the text the user sees."""
    seen = plain_text(message, "HTML")  # the fake Bot API's check, modelled on Telegram's
    assert strict_plain(message) == seen
    assert seen.strip(), "Telegram refuses an empty message"
    assert units(seen) <= TEXT_LIMIT, f"{units(seen)} UTF-16 units"
    return seen


def squeezed(text: str) -> str:
    return "".join(text.split())


@PROPERTIES
@given(status=st.sampled_from([ANSWERED, CLARIFY, FALLBACK]), text=any_text, title=titles,
       related=suggestions, offered=suggestions)
def test_every_rendered_message_parses_and_fits(status: str, text: str, title: str, related: list[Suggestion],
                                                offered: list[Suggestion]) -> None:
    text = text if text.strip() else text + "?"  # the engine never replies with a blank text (test_properties.py)
    reply = Reply("question", status, text, title=title, related=tuple(related),
                  suggestions=tuple(offered) if status == CLARIFY else ())
    messages = [check_message(m) for m in render_reply(reply)]
    assert messages
    if status == ANSWERED:  # nothing is lost: the title, every non-space character of the text, "voir aussi"
        assert squeezed("".join(messages)) == squeezed(title + text + (SEE_ALSO if related else ""))


@PROPERTIES
@given(text=any_text, limit=st.one_of(st.just(TEXT_LIMIT), st.integers(min_value=2, max_value=TEXT_LIMIT)))
def test_split_text_keeps_every_character_within_the_limit(text: str, limit: int) -> None:
    text = text[: limit * 40]  # at most ~40 pieces: a 100,000-character text in 2-unit pieces proves nothing more
    pieces = split_text(text, limit)
    assert all(units(p) <= limit and p.strip() for p in pieces)
    assert squeezed("".join(pieces)) == squeezed(text)


@PROPERTIES
@given(ids=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=20, unique=True), pick=st.integers(0, 19))
def test_callback_data_always_fits_64_bytes_and_round_trips(kb: KnowledgeBase, ids: list[str], pick: int) -> None:
    # Only `intents` matters to these two functions: a namespace holding the real intents plus the drawn ids.
    fake = SimpleNamespace(intents={**kb.intents, **dict.fromkeys(ids, next(iter(kb.intents.values())))})
    intent = ids[pick % len(ids)]
    data = intent_data(fake, intent)
    assert len(data.encode()) <= DATA_LIMIT
    assert intent_from_data(fake, data) == intent


# A reload refusal lists data problems; their texts come from files an admin edits: anything goes.
names = st.one_of(st.text(max_size=30), repeated(special, 300))
file_names = names.map(lambda n: Path("intents") / (n.replace("/", "_").replace("\x00", "_") + ".toml"))
problem = st.builds(Problem, file_names, st.one_of(st.none(), st.integers(1, 10**6)), names, names)
problems = st.tuples(st.lists(problem, min_size=1, max_size=3), st.integers(1, 6)).map(lambda p_n: p_n[0] * p_n[1])


@PROPERTIES
@given(found=problems)
def test_reload_report_parses_and_fits(engine: Engine, found: list[Problem]) -> None:
    seen = check_message(reload_report(engine, found))
    assert seen.startswith("Rechargement refusé")
