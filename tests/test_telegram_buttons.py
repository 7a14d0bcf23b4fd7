"""Buttons and digits (issue 13, findings 4 and 5).

- Digits: only ASCII decimals are numbers. « ² » (top-left key of French AZERTY keyboards), « ① »
  or Arabic-Indic digits are text, in callback data as in messages; every Unicode digit (categories
  Nd and No) is property-test input.
- Stable callback data: a button names what it shows (intent, topic, answer ids), never a position,
  so after a /reload it shows what its label says or « Ce bouton n'est plus valable » with the
  current topics.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import shutil
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakebotapi import ADMIN, USER, Call, FakeBotAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reliability import delivered, seen, wait_delivered

from bot.channels.telegram import ERROR
from bot.channels.telegram import render as telegram_render
from bot.channels.telegram.render import DATA_LIMIT, ascii_int, decode, encode
from bot.config import Config
from bot.dialogue import Conversation
from bot.engine import CLARIFY, Engine
from bot.knowledge import KnowledgeBase

DIGITS = "".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Nd", "No"))
NON_ASCII_DIGITS = "".join(d for d in DIGITS if d not in "0123456789")
PROPERTIES = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
digit_strings = st.text(alphabet=st.sampled_from(DIGITS), min_size=1, max_size=12)
ids = st.one_of(st.text(min_size=1, max_size=80), digit_strings)


def test_every_unicode_digit_is_known() -> None:
    assert len(DIGITS) > 700 and "²" in DIGITS and "①" in DIGITS and "\u0663" in DIGITS  # ٣


def test_only_ascii_decimals_are_numbers_for_every_unicode_digit() -> None:
    for digit in DIGITS:
        assert ascii_int(digit) == (int(digit) if digit in "0123456789" else None), repr(digit)


@PROPERTIES
@given(text=st.one_of(digit_strings, st.text(max_size=20)))
def test_ascii_int_never_raises_and_reads_only_ascii_decimals(text: str) -> None:
    value = ascii_int(text)
    if text and len(text) <= 18 and all(c in "0123456789" for c in text):
        assert value == int(text)
    else:
        assert value is None


@PROPERTIES
@given(head=st.sampled_from(["t:", "q:", "q:0:", "a#", "a:", "2t:", "2q:", "2q:dci:", "2a:", "2m:", "2n:", "", "2"]),
       tail=st.one_of(digit_strings, st.text(max_size=64)))
def test_decoding_any_callback_data_never_raises(kb: KnowledgeBase, head: str, tail: str) -> None:
    target = decode(head + tail, kb, ("conversation",))
    if target is not None:  # whatever it opens exists in the data
        assert target.kind in ("a", "n", "m", "t", "q")
        if target.kind == "a":
            assert target.ids[0] in kb.intents
        if target.kind in ("t", "q"):
            assert target.ids[0] in {t.id for t in kb.topics}


@PROPERTIES
@given(new=st.lists(ids, min_size=1, max_size=20, unique=True), pick=st.integers(0, 19))
def test_intent_buttons_fit_64_bytes_and_name_their_intent(kb: KnowledgeBase, new: list[str], pick: int) -> None:
    fake = SimpleNamespace(intents={**kb.intents, **dict.fromkeys(new, next(iter(kb.intents.values())))})
    intent = new[pick % len(new)]
    data = encode("a", intent)
    assert len(data.encode("utf-8", "surrogatepass")) <= DATA_LIMIT
    assert decode(data, fake) == telegram_render.Target("a", (intent,))


@PROPERTIES
@given(topic=ids, answer=ids)
def test_browser_buttons_fit_64_bytes(topic: str, answer: str) -> None:
    assert len(encode("q", topic, answer).encode("utf-8", "surrogatepass")) <= DATA_LIMIT


# -- end to end ---------------------------------------------------------------------------------------
def forged_button(call: Call, data: str) -> None:
    """Add a button with `data` under the message `call` sent (as an old client or a forger could)."""
    call.result.setdefault("reply_markup", {"inline_keyboard": []})["inline_keyboard"].append(
        [{"text": "bouton", "callback_data": data}])


@pytest.mark.parametrize("data", ["t:²", "q:0:²", "a#²", "2t:²", "2q:dci:①", "t:\u0663", "q:\u0661:\u0662"])
async def test_a_button_with_unicode_digits_is_no_longer_valid_not_a_crash(
        start_bot, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture, data: str) -> None:
    await start_bot()
    fake_api.send_text("/sujets")
    menu = (await wait_delivered(fake_api, USER["id"], 1, timeout=10))[0]
    forged_button(menu, data)
    query_id = fake_api.press(menu, data)
    notice = await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)
    assert "plus valable" in notice.params["text"]
    await asyncio.sleep(0.2)
    assert ERROR not in [seen(c) for c in delivered(fake_api, USER["id"])]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def _clarifying_question(engine: Engine) -> str:
    for question in ("ssi", "asi", "nouakchott", "le ssi", "les asi"):
        if engine.reply(question, Conversation()).status == CLARIFY:
            return question
    raise AssertionError("none of the probe questions gets a clarify reply any more: update the list")


@pytest.mark.parametrize("typed", ["²", "①", "\u0662", "³"])
async def test_a_unicode_digit_typed_after_a_clarify_is_text(start_bot, fake_api: FakeBotAPI,
                                                             telegram_engine: Engine, typed: str) -> None:
    await start_bot()
    fake_api.send_text(_clarifying_question(telegram_engine))
    await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    fake_api.send_text(typed)
    fake_api.send_text("1")  # an ASCII digit still picks the first suggestion
    replies = await wait_delivered(fake_api, USER["id"], 3, timeout=10)
    assert ERROR not in [seen(c) for c in replies]


# -- stable callback data across a reload -------------------------------------------------------------
@pytest.fixture
def data_copy(config: Config, tmp_path: Path) -> Config:
    """The shipped config on a private copy of knowledge/ and intents/ that a test may edit."""
    for name in ("knowledge", "intents"):
        shutil.copytree(getattr(config.paths, name), tmp_path / name)
    paths = dataclasses.replace(config.paths, knowledge=tmp_path / "knowledge", intents=tmp_path / "intents",
                                cache=tmp_path / "cache", unanswered_log=tmp_path / "unanswered.jsonl",
                                persistence=tmp_path / "telegram.sqlite3")
    return dataclasses.replace(config, paths=paths)


def rename_topic(knowledge: Path, old: str, new: str) -> None:
    """Rename a topic and its file so that it sorts last: every topic after it moves up one place."""
    path = knowledge / f"{old}.toml"
    text = path.read_text(encoding="utf-8").replace(f'topic = "{old}"', f'topic = "{new}"', 1)
    (knowledge / f"zz-{new}.toml").write_text(text, encoding="utf-8")
    path.unlink()


async def press_and_see(api: FakeBotAPI, message: Call, data: str, keyboard: dict) -> tuple[str, str | None]:
    """Press a button of `keyboard` (as shown before the reload, on another device say); return what the
    user then sees (edited or new message) and the button's notice."""
    stored = api.messages[(message.chat_id, message.result["message_id"])]
    stored["reply_markup"] = keyboard
    start = len(api.calls)
    query_id = api.press(message, data, user=ADMIN)
    notice = await api.wait_call("answerCallbackQuery", callback_query_id=query_id, timeout=10)
    shown = [c for c in api.calls[start:] if c.method in ("editMessageText", "sendMessage") and c.done and not c.error]
    return seen(shown[-1]) if shown else "", notice.params.get("text")


async def test_after_a_reload_that_renames_a_topic_no_button_shows_another_answer(
        start_bot, fake_api: FakeBotAPI, data_copy: Config) -> None:
    engine = Engine(data_copy)
    await start_bot(engine=engine, config=data_copy, admin_ids=(ADMIN["id"],), flood_messages=1000)
    kb = engine.kb
    chat = ADMIN["id"]

    async def ask(text: str) -> Call:
        fake_api.send_text(text, user=ADMIN)
        return await fake_api.wait_call("sendMessage", chat_id=chat, timeout=10)

    home = await ask("/sujets")  # kept with its topic buttons
    topics = [(label, data) for label, data in home.buttons]
    browsers = []  # one menu per topic, opened on that topic: its question buttons
    for _, data in topics:
        menu = await ask("/sujets")
        fake_api.press(menu, data, user=ADMIN)
        await fake_api.wait_call("editMessageText", chat_id=chat, timeout=10)
        browsers.append(menu)
    answer = await ask("c'est quoi un ASI ?")  # related-question buttons
    assert answer.buttons

    def buttons(markup: dict) -> list[tuple[str, str]]:
        return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]

    before = {id(m): copy.deepcopy(fake_api.messages[(chat, m.result["message_id"])]["reply_markup"])
              for m in [home, *browsers, answer]}  # the keyboards as shown before the reload

    def keyboard(call: Call) -> dict:
        return before[id(call)]

    rename_topic(data_copy.paths.knowledge, "asi", "attache")
    fake_api.send_text("/reload", user=ADMIN)
    report = await fake_api.wait_call("sendMessage", chat_id=chat, timeout=60)
    assert seen(report).startswith("Données rechargées"), seen(report)
    assert [t.id for t in engine.kb.topics] != [t.id for t in kb.topics]

    wrong, stale, right, no_menu = [], 0, 0, 0
    pressed = [(home, label, data, keyboard(home)) for label, data in topics]
    pressed += [(menu, label, data, keyboard(menu)) for menu in browsers
                for label, data in buttons(keyboard(menu)) if not label.startswith("←")]
    pressed += [(answer, label, data, keyboard(answer)) for label, data in answer.buttons]
    for message, label, data, markup in pressed:
        shown, notice = await press_and_see(fake_api, message, data, markup)
        if notice and "plus valable" in notice:
            stale += 1
            no_menu += "plus valable" not in shown  # the current topics must be offered with the notice
        elif shown.startswith(label):
            right += 1
        else:
            wrong.append((label, shown[:60]))
    assert wrong == [], f"{len(wrong)} of {len(pressed)} buttons showed something else"
    assert no_menu == 0
    assert stale >= 2 and right >= 10  # the renamed topic's buttons are stale, the others still work
