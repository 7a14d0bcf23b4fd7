"""The durable inbox (issue 13, findings 3, 8, 10): every update is recorded in SQLite before Telegram
is told it was received, and marked done once handled; a crash loses nothing; an update_id is
never answered twice; conversations and stats live in the same database, checked row by row; the
old pickle is migrated once without running anything it holds.

`faqbot telegram` runs as a subprocess (SIGKILL is real) or in-process, against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from fakebotapi import ADMIN, USER, FakeBotAPI, faqbot_telegram
from test_reliability import QUESTIONS, answer_index, delivered, person, private_config, seen, wait_delivered

from bot.channels.telegram import ERROR, SetupError
from bot.config import Config
from bot.dialogue import Conversation
from bot.engine import Engine

REPO = Path(__file__).resolve().parent.parent
FULL = os.environ.get("FAQBOT_FULL_LOAD") == "1"  # the full sizes (slow: minutes)
MAIL = "tristan.coudert@diplomatie.gouv.fr"


def answered_in_order(api: FakeBotAPI, sent: dict[int, list[int]], texts: dict[str, int]) -> dict[int, list[int]]:
    """For each chat, the QUESTIONS index of every answer delivered, in delivery order."""
    return {chat: [texts[seen(c)] for c in delivered(api, chat)] for chat in sent}


async def test_a_sigkill_in_the_middle_loses_nothing_and_repeats_at_most_what_was_in_flight(
        tmp_path: Path, telegram_engine: Engine) -> None:
    chats, per_chat = (60, 10) if FULL else (30, 10)
    texts = answer_index(telegram_engine)
    config = private_config(tmp_path, telegram_engine.config.paths.cache)
    text = config.read_text(encoding="utf-8").replace("max_messages_per_second = 30.0", "max_messages_per_second = 0")
    config.write_text(text.replace("flood_messages = 5 ", "flood_messages = 1000 "), encoding="utf-8")
    database = tmp_path / "var" / "telegram.sqlite3"
    async with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "PYTHONIOENCODING": "utf-8"}
        args = ("--config", str(config), "--base-url", api.base_url)
        users = [person(n) for n in range(chats)]
        sent: dict[int, list[int]] = {u["id"]: [] for u in users}
        expected = {u["id"]: [(n + k) % len(QUESTIONS) for k in range(per_chat)] for n, u in enumerate(users)}
        async with faqbot_telegram(*args, env=env, cwd=REPO) as first:
            await api.wait_call("getUpdates", timeout=90, started=True)
            for k in range(per_chat):
                for n, user in enumerate(users):
                    sent[user["id"]].append(api.send_text(QUESTIONS[(n + k) % len(QUESTIONS)], user=user)["update_id"])
            total = chats * per_chat
            while sum(len(delivered(api, c)) for c in sent) < total // 3:
                await asyncio.sleep(0.01)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        before = answered_in_order(api, sent, texts)
        try:
            with sqlite3.connect(database) as db:
                pending = {u for (u,) in db.execute("SELECT update_id FROM inbox WHERE state = 'pending'")}
        except sqlite3.Error:  # no inbox at all
            pending = set()
        # In flight: pending in the inbox although their answer had reached the user (killed before the mark).
        in_flight = sum(1 for chat, ids in sent.items() for u in ids[: len(before[chat])] if u in pending)
        assert 0 < len(before) and sum(map(len, before.values())) < total  # killed in the middle
        async with faqbot_telegram(*args, env=env, cwd=REPO) as second:
            deadline = time.monotonic() + 120
            while sum(len(delivered(api, c)) for c in sent) < total and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # late duplicates would show up now
            second.send_signal(signal.SIGTERM)
            await second.wait()
    after = answered_in_order(api, sent, texts)
    duplicates = sum(len(after[c]) for c in sent) - total
    print(f"\nSIGKILL after {sum(map(len, before.values()))} of {total} answers: {len(pending)} pending in the inbox, "
          f"{in_flight} answered but not yet marked; after the restart {duplicates} duplicate(s)")
    for chat, answers in after.items():
        assert sorted(set(answers)) == sorted(set(expected[chat]))  # every message answered
        deduplicated = [a for i, a in enumerate(answers) if i == 0 or a != answers[i - 1]]
        assert deduplicated == expected[chat] or answers == expected[chat], chat  # in order
    assert 0 <= duplicates <= in_flight
    assert second.returncode == 0


async def test_an_update_received_twice_is_answered_once(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    update = fake_api.send_text(QUESTIONS[0])
    await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    fake_api.push_update(update)  # Telegram sends an update again (our confirmation was lost, say)
    fake_api.send_text(QUESTIONS[1])
    answers = await wait_delivered(fake_api, USER["id"], 2, timeout=10)
    await asyncio.sleep(0.5)
    assert len(delivered(fake_api, USER["id"])) == len(answers) == 2


async def test_the_webhook_answers_an_update_posted_twice_once(start_bot, fake_api: FakeBotAPI,
                                                               unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/faqbot"
    await start_bot(webhook_secret="s3cret", webhook_url=url, webhook_listen="127.0.0.1", webhook_port=unused_port)
    update = {"update_id": 777, "message": {"message_id": 5, "date": int(time.time()), "text": QUESTIONS[0],
                                           "chat": {"id": USER["id"], "type": "private"}, "from": USER}}
    async with httpx.AsyncClient() as client:
        for _ in range(2):
            posted = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            assert posted.status_code == 200
    await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    await asyncio.sleep(0.5)
    assert len(delivered(fake_api, USER["id"])) == 1


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the database, row by row ---------------------------------------------------------------------------
async def test_bad_rows_are_dropped_and_logged_never_fatal(start_bot, fake_api: FakeBotAPI, telegram_config: Config,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    service = await start_bot(admin_ids=(ADMIN["id"],))
    fake_api.send_text("qui dirige le SSI de Nouakchott ?", user=ADMIN)
    await wait_delivered(fake_api, ADMIN["id"], 1, timeout=10)
    await start_bot.stop(service)
    with sqlite3.connect(telegram_config.paths.persistence) as db:
        db.execute("UPDATE chats SET conversation = '{\"subject\": 5, \"suggestions\": \"abc\"}'")
        db.execute("INSERT INTO chats VALUES (?, '[1, 2]', '', 0)", (USER["id"],))
        db.execute("INSERT OR REPLACE INTO stats VALUES ('answered_twice', 3), ('fallback', -4)")
        db.execute("INSERT INTO inbox VALUES (0, ?, 'pending', 0, '{\"not\": \"an update\"}')", (time.time(),))
        with pytest.raises(sqlite3.IntegrityError):  # the schema itself refuses wrong types (STRICT tables)
            db.execute("UPDATE stats SET value = 'beaucoup' WHERE name = 'answered'")
    await start_bot(admin_ids=(ADMIN["id"],))
    fake_api.send_text("et son mail ?", user=ADMIN)  # its context was dropped with its bad row: still answered
    fake_api.send_text(QUESTIONS[0])  # its chat's row was not even an object
    assert seen((await wait_delivered(fake_api, ADMIN["id"], 2, timeout=10))[1]) != ERROR  # [0]: before the stop
    assert "La DCI" in seen((await wait_delivered(fake_api, USER["id"], 1, timeout=10))[0])
    fake_api.send_text("/stats", user=ADMIN)
    stats = seen((await wait_delivered(fake_api, ADMIN["id"], 3, timeout=10))[2])
    assert "questions reçues\u00a0: 3" in stats and "sans réponse\u00a0: 0" in stats  # good counters kept
    logged = [r.getMessage() for r in caplog.records]
    assert f"Stored state of chat {ADMIN['id']} dropped: ValueError" in logged
    assert "Stats row 'answered_twice' dropped: not a known counter" in logged
    assert any(m.startswith("Update 0 could not be read") for m in logged)


async def test_a_symbolic_link_as_the_database_is_refused(start_bot, telegram_config: Config, tmp_path: Path) -> None:
    outside = tmp_path / "outside.db"
    telegram_config.paths.persistence.symlink_to(outside)
    with pytest.raises(SetupError, match="symbolic link"):
        await start_bot()
    assert not outside.exists()


# -- the legacy pickle --------------------------------------------------------------------------------------
async def legacy_pickle(path: Path, chat_data: object, bot_data: object) -> None:
    """Write what PicklePersistence (the bot before the SQLite store) wrote."""
    from telegram.ext import ExtBot, PicklePersistence

    persistence = PicklePersistence(path, update_interval=3600)
    persistence.set_bot(ExtBot("123:legacy"))  # without a bot, PTB's pickler would store every None as a bot
    persistence.chat_data, persistence.bot_data = chat_data, bot_data  # type: ignore[assignment]
    persistence.user_data, persistence.conversations, persistence.callback_data = {}, {}, None
    await persistence.flush()


async def test_an_old_pickle_is_migrated_once(start_bot, fake_api: FakeBotAPI, telegram_config: Config,
                                              caplog: pytest.LogCaptureFixture) -> None:
    legacy = telegram_config.paths.persistence.with_name("telegram.pickle")
    context = Conversation(subject="ssi_nouakchott", facet="chef", intent="nouakchott.chef", updated=time.time())
    stats = {"since": time.time() - 86400, "answered": 7, "clarify": 2, "fallback": 1}
    await legacy_pickle(legacy, {ADMIN["id"]: {"conversation": context, "last_question": "", "recent": [1.0]}},
                        {"stats": stats})
    await start_bot(admin_ids=(ADMIN["id"],))
    fake_api.send_text("et son mail ?", user=ADMIN)
    fake_api.send_text("/stats", user=ADMIN)
    replies = await wait_delivered(fake_api, ADMIN["id"], 2, timeout=10)
    assert MAIL in seen(replies[0])  # the conversation came over
    assert "questions reçues\u00a0: 11" in seen(replies[1])  # 10 before, 1 now
    assert not legacy.exists() and len(list(legacy.parent.glob("telegram.pickle.migrated-*"))) == 1
    assert any(r.getMessage().startswith("Migrated 1 conversation(s)") for r in caplog.records)


class _Payload:
    def __reduce__(self) -> tuple:
        return os.system, (f"touch {Path(os.environ.get('FAQBOT_PWNED', '/nonexistent')) / 'pwned'}",)


@pytest.mark.parametrize("kind", ["code", "stats as a string, chats as a list", "a symbolic link", "garbage"])
async def test_a_hostile_or_broken_pickle_runs_nothing_and_the_bot_starts(
        start_bot, fake_api: FakeBotAPI, telegram_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, kind: str) -> None:
    legacy = telegram_config.paths.persistence.with_name("telegram.pickle")
    monkeypatch.setenv("FAQBOT_PWNED", str(tmp_path))
    if kind == "code":
        legacy.write_bytes(pickle.dumps({"chat_data": {1: {"conversation": _Payload()}}, "bot_data": {}}))
    elif kind == "a symbolic link":
        target = tmp_path / "elsewhere.pickle"
        target.write_bytes(pickle.dumps({"chat_data": {}, "bot_data": {}}))
        legacy.symlink_to(target)
    elif kind == "garbage":
        legacy.write_bytes(b"\x80\x04 not a pickle at all")
    else:
        await legacy_pickle(legacy, [1, 2, 3], {"stats": "beaucoup"})
    await start_bot(admin_ids=(ADMIN["id"],))
    fake_api.send_text(QUESTIONS[0])
    fake_api.send_text("/stats", user=ADMIN)
    assert "La DCI" in seen((await wait_delivered(fake_api, USER["id"], 1, timeout=10))[0])
    assert "questions reçues\u00a0: 1" in seen((await wait_delivered(fake_api, ADMIN["id"], 1, timeout=10))[0])
    assert not (tmp_path / "pwned").exists()
    assert not legacy.exists() and not legacy.is_symlink()  # left aside, never read again
    if kind == "a symbolic link":
        assert (tmp_path / "elsewhere.pickle").exists()  # the link was moved, not its target
    assert [r for r in caplog.records if "telegram.pickle" in r.getMessage() and r.levelname == "WARNING"]
