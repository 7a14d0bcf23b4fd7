"""Never deaf (issue 13, findings 1, 2, 7, 9): updates the library cannot read, a Bot API that refuses
the token for a while or for good, late button presses, messages that can no longer be edited,
sends whose fate is unknown.

The real bot (python-telegram-bot + engine) against the fake Bot API server over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import httpx
import pytest
from fakebotapi import OTHER_USER, USER, FakeBotAPI, faqbot_telegram
from test_reliability import QUESTIONS, answer_index, delivered, person, private_config, seen, wait_delivered

from bot.channels.telegram import ERROR
from bot.engine import Engine

REPO = Path(__file__).resolve().parent.parent
NAME, TEXT = "Zénobie-Sentinelle", "mon numéro de passeport est 12AB34567"


def unreadable_update(api: FakeBotAPI) -> dict:
    """An update python-telegram-bot cannot parse (a message without chat or date, as a buggy or older
    self-hosted Bot API server may send), carrying a user's name and text that must not be logged."""
    return api.push_update({"message": {"message_id": 999, "text": TEXT,
                                        "from": {"id": 4242, "is_bot": False, "first_name": NAME}}})


async def test_an_unreadable_update_is_skipped_and_the_next_ten_are_answered(
        start_bot, fake_api: FakeBotAPI, telegram_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    texts = answer_index(telegram_engine)
    await start_bot()
    await fake_api.wait_call("getUpdates", started=True)
    poisoned = unreadable_update(fake_api)
    users = [person(n) for n in range(10)]
    for number, user in enumerate(users):
        fake_api.send_text(QUESTIONS[number], user=user)
    for number, user in enumerate(users):
        answers = await wait_delivered(fake_api, user["id"], 1, timeout=10)
        assert [texts[seen(a)] for a in answers] == [number]
    polls = len(fake_api.calls_to("getUpdates"))
    await asyncio.sleep(1.0)
    assert len(fake_api.calls_to("getUpdates")) - polls <= 2  # long polling, not a hot loop on the same batch
    about = [r for r in caplog.records if f"Update {poisoned['update_id']} " in r.getMessage()]
    assert len(about) == 1 and about[0].getMessage().endswith("); skipped")  # (the kind of error): no data
    assert NAME not in caplog.text and TEXT not in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_an_unreadable_update_on_the_webhook_is_skipped(start_bot, fake_api: FakeBotAPI, unused_port: int,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{unused_port}/faqbot"
    await start_bot(webhook_secret="s3cret", webhook_url=url, webhook_listen="127.0.0.1", webhook_port=unused_port)
    poisoned = unreadable_update(fake_api)
    fake_api.send_text(QUESTIONS[0])
    answers = await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    assert "La DCI" in seen(answers[0])
    assert any(f"Update {poisoned['update_id']} could not be read" in r.getMessage() for r in caplog.records)
    assert NAME not in caplog.text and TEXT not in caplog.text


async def test_one_401_on_get_updates_is_retried_then_the_bot_answers(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    await fake_api.wait_call("getUpdates", started=True)  # this long poll is already past the fault check
    fake_api.fail("getUpdates", status=401, times=1)  # as when Telegram has a hiccup about the token
    fake_api.send_text(QUESTIONS[0])  # ends the pending poll; the next one gets the 401
    await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    deadline = time.monotonic() + 5
    while not any(c.error == 401 for c in fake_api.calls_to("getUpdates")) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fake_api.send_text(QUESTIONS[1], user=OTHER_USER)
    answers = await wait_delivered(fake_api, OTHER_USER["id"], 1, timeout=10)
    assert "Tristan Coudert" in seen(answers[0])
    assert [c.error for c in fake_api.calls_to("getUpdates")].count(401) == 1


async def test_get_updates_refused_for_good_exits_1_for_systemd_to_restart(tmp_path: Path,
                                                                         telegram_engine: Engine) -> None:
    config = private_config(tmp_path, telegram_engine.config.paths.cache)
    config.write_text(config.read_text(encoding="utf-8").replace("auth_retries = 5", "auth_retries = 2"),
                      encoding="utf-8")
    async with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "PYTHONIOENCODING": "utf-8"}
        async with faqbot_telegram("--config", str(config), "--base-url", api.base_url, env=env, cwd=REPO) as process:
            await api.wait_call("getUpdates", timeout=90, started=True)
            api.fail("getUpdates", status=401, times=1000)  # a revoked token: every later poll refused
            api.send_text(QUESTIONS[0])
            _, stderr = await process.wait(timeout=60)  # 1 s + 2 s of back-off, then out
    assert process.returncode == 1
    assert [c.error for c in api.calls_to("getUpdates")].count(401) == 3
    assert stderr.decode().splitlines()[-1] == ("error: Telegram refused getUpdates 3 times in a row "
                                                "(401 Unauthorized)")
    assert api.token.split(":")[1] not in stderr.decode()


# -- buttons pressed late, messages gone ----------------------------------------------------------------
async def test_a_late_button_press_gets_its_answer_quietly(start_bot, fake_api: FakeBotAPI,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    await start_bot()
    fake_api.send_text(QUESTIONS[0])
    answer = (await wait_delivered(fake_api, USER["id"], 1, timeout=10))[0]
    label, data = answer.buttons[0]
    fake_api.press(answer, data, late=True)  # Telegram already gave up waiting for the acknowledgement
    related = (await wait_delivered(fake_api, USER["id"], 2, timeout=10))[1]
    await asyncio.sleep(0.5)
    assert [c.error for c in fake_api.calls_to("answerCallbackQuery")] == [400]  # "query is too old"
    assert seen(related).startswith(label)
    assert len(delivered(fake_api, USER["id"])) == 2  # the answer, no apology
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_browser_button_under_an_inaccessible_message_answers_in_a_new_one(
        start_bot, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    await start_bot()
    fake_api.send_text("/sujets")
    menu = (await wait_delivered(fake_api, USER["id"], 1, timeout=10))[0]
    label, data = menu.buttons[0]
    query_id = fake_api.press(menu, data, inaccessible=True)  # a message too old (or deleted) to be edited
    topic = (await wait_delivered(fake_api, USER["id"], 2, timeout=10))[1]
    await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)
    await asyncio.sleep(0.3)
    assert seen(topic).startswith(label) and len(topic.buttons) >= 2  # the topic's questions, in a new message
    assert ERROR not in [seen(c) for c in delivered(fake_api, USER["id"])]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


# -- a send whose fate is unknown -------------------------------------------------------------------------
async def test_a_send_delivered_late_is_not_sent_again(start_bot, fake_api: FakeBotAPI, telegram_engine: Engine,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Telegram processed the request but answered after the read time-out: a resend would show it twice."""
    texts = answer_index(telegram_engine)
    await start_bot()
    fake_api.slow("sendMessage", seconds=6.0)  # past PTB's 5 s read time-out, then delivered
    for index in range(3):
        fake_api.send_text(QUESTIONS[index])
    answers = await wait_delivered(fake_api, USER["id"], 3, timeout=20)
    await asyncio.sleep(1.5)
    assert [texts[seen(a)] for a in delivered(fake_api, USER["id"])] == [0, 1, 2]  # each once, in order
    assert len(answers) == 3
    assert any("not resent, it may have arrived" in r.getMessage() for r in caplog.records)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_webhook_refuses_a_bad_secret_or_a_large_body_before_reading_it(
        start_bot, fake_api: FakeBotAPI, unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/faqbot"
    await start_bot(webhook_secret="s3cret", webhook_url=url, webhook_listen="127.0.0.1", webhook_port=unused_port,
                    webhook_max_bytes=10_000)
    for headers, status in ((({"X-Telegram-Bot-Api-Secret-Token": "wrong"}), 403), ({}, 403),
                            ({"X-Telegram-Bot-Api-Secret-Token": "s3cret"}, 413)):
        reader, writer = await asyncio.open_connection("127.0.0.1", unused_port)
        lines = ["POST /faqbot HTTP/1.1", "Host: x", "Content-Length: 90000000", "Content-Type: application/json",
                 *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())  # announce 90 MB, send none of it
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)  # answered and closed without waiting for the body
        writer.close()
        assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer
    reader, writer = await asyncio.open_connection("127.0.0.1", unused_port)
    writer.write(b"POST /faqbot HTTP/1.1\r\nX-Telegram-Bot-Api-Secret-Token: s3cret\r\n"
                 b"Content-Length: \xb2\r\n\r\n{}")  # « ² »: str.isdigit() says yes, it is no length
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 411 "), answer
    async with httpx.AsyncClient() as client:  # and the webhook still works
        update = {"update_id": 10**6, "message": {"message_id": 1, "date": 0, "text": "bonjour",
                                                 "chat": {"id": USER["id"], "type": "private"}, "from": USER}}
        accepted = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
    assert accepted.status_code == 200
    assert "Bonjour" in seen((await wait_delivered(fake_api, USER["id"], 1, timeout=10))[0])
