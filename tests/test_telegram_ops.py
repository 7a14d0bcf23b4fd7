"""Running it as a service (issue 13, findings 3, 11, 12): SIGTERM drains within its time and loses
nothing, a second signal stops at once and loses nothing either; the systemd watchdog is fed only
while updates are fetched; logs carry no user names or message text, even at DEBUG and with
errors; /stats shows its counters to admins in private only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from pathlib import Path

import pytest
from fakebotapi import ADMIN, GROUP, USER, FakeBotAPI, faqbot_telegram
from test_reliability import QUESTIONS, answer_index, delivered, person, private_config, seen, wait_delivered

import bot.channels.telegram.systemd as systemd
import bot.channels.telegram.transport as transport
from bot.channels.telegram import ADMIN_ONLY, ERROR
from bot.engine import Engine

REPO = Path(__file__).resolve().parent.parent


def configure(path: Path, **values: str) -> None:
    """Set [telegram] keys of a private config.toml (each key appears once in the shipped file)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, value in values.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        lines[index] = f"{key} = {value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def backlog(api: FakeBotAPI, chats: int, per_chat: int) -> dict[int, list[int]]:
    """Queue per_chat questions in each of `chats` chats; return the QUESTIONS indexes sent to each."""
    sent: dict[int, list[int]] = {}
    for k in range(per_chat):
        for n in range(chats):
            user = person(n)
            api.send_text(QUESTIONS[(n + k) % len(QUESTIONS)], user=user)
            sent.setdefault(user["id"], []).append((n + k) % len(QUESTIONS))
    return sent


@pytest.mark.parametrize("second_signal", [False, True], ids=["SIGTERM drains", "second signal stops at once"])
async def test_a_stop_with_a_backlog_loses_nothing(tmp_path: Path, telegram_engine: Engine,
                                                   second_signal: bool) -> None:
    texts = answer_index(telegram_engine)
    config = private_config(tmp_path, telegram_engine.config.paths.cache)
    configure(config, drain_seconds="2.0")
    async with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "PYTHONIOENCODING": "utf-8"}
        args = ("--config", str(config), "--base-url", api.base_url)
        async with faqbot_telegram(*args, env=env, cwd=REPO) as first:
            await api.wait_call("getUpdates", timeout=90, started=True)
            sent = await backlog(api, 30, 10)  # 300 answers: 10 s at 30 a second
            while sum(len(delivered(api, chat)) for chat in sent) < 30:
                await asyncio.sleep(0.01)
            stopped = time.monotonic()
            first.send_signal(signal.SIGTERM)
            if second_signal:
                await asyncio.sleep(0.3)
                first.send_signal(signal.SIGINT)  # Ctrl-C after the SIGTERM
            _, stderr = await first.wait()
            took = time.monotonic() - stopped
        answered_before = sum(len(delivered(api, chat)) for chat in sent)
        async with faqbot_telegram(*args, env=env, cwd=REPO) as second:
            deadline = time.monotonic() + 60
            while sum(len(delivered(api, c)) for c in sent) < 300 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
            second.send_signal(signal.SIGTERM)
            await second.wait()
    answers = {chat: [texts[seen(c)] for c in delivered(api, chat)] for chat in sent}
    duplicates = sum(map(len, answers.values())) - 300
    print(f"\nstop after {took:.1f} s, {answered_before} of 300 answered before it; {duplicates} duplicate(s)")
    assert first.returncode == 0 and "Stopped with" in stderr.decode() and "unanswered" in stderr.decode()
    assert 30 <= answered_before < 300
    for chat, expected in sent.items():
        assert sorted(set(answers[chat])) == sorted(set(expected))  # every message answered
    if second_signal:
        assert took < 2.0  # at once
        assert duplicates <= transport.MAX_REQUESTS_IN_FLIGHT  # only answers cut in the middle
    else:
        assert 2.0 <= took < 2.0 + 6.0 + 2.0  # the drain, the sends in progress, closing
        assert duplicates == 0 and answers == sent


async def test_systemd_is_told_ready_alive_and_stopping(tmp_path: Path, telegram_engine: Engine) -> None:
    config = private_config(tmp_path, telegram_engine.config.paths.cache)
    address = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.setblocking(False)
        async with FakeBotAPI() as api:
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "NOTIFY_SOCKET": str(address),
                   "WATCHDOG_USEC": "400000"}
            async with faqbot_telegram("--config", str(config), "--base-url", api.base_url, env=env,
                                       cwd=REPO) as process:
                await api.wait_call("getUpdates", timeout=90, started=True)
                await asyncio.sleep(1.5)
                process.send_signal(signal.SIGTERM)
                await process.wait()
        messages = []
        while True:
            try:
                messages.append(listener.recv(1024).decode())
            except BlockingIOError:
                break
    assert messages[0] == "READY=1" and messages[-1] == "STOPPING=1"
    assert messages.count("WATCHDOG=1") >= 3  # every 0.2 s while serving


async def test_the_watchdog_goes_quiet_while_updates_are_not_fetched(start_bot, fake_api: FakeBotAPI, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "POLL_SECONDS", 1)
    monkeypatch.setattr(transport, "POLL_GRACE", 1)
    address = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.setblocking(False)
        service = await start_bot()
        service.environ.update({"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "200000"})
        service._tasks.append(asyncio.get_running_loop().create_task(  # noqa: SLF001 - the watchdog with this env
            systemd.watchdog(service.healthy, service.environ)))

        def pings() -> int:
            count = 0
            while True:
                try:
                    count += listener.recv(1024) == b"WATCHDOG=1"
                except BlockingIOError:
                    return count

        await asyncio.sleep(1.0)
        assert pings() >= 3
        await fake_api.wait_call("getUpdates", started=True)
        fake_api.hang("getUpdates", seconds=8.0)  # the next long poll never comes back: deaf
        await asyncio.sleep(4.0)  # its 1 s + 1 s of grace are over
        pings()
        await asyncio.sleep(1.0)
        assert pings() == 0  # systemd would now restart the bot
        await asyncio.sleep(9.0)  # the poll fails, the loop goes on
        assert pings() >= 3


async def test_logs_hold_no_user_names_or_texts_even_at_debug_with_errors(tmp_path: Path,
                                                                          telegram_engine: Engine) -> None:
    name, username, text = "Zénobie", "zenobie_sentinelle", "Mon passeport n° ZX99 est perdu"
    user = {"id": 61_000, "is_bot": False, "first_name": name, "username": username, "language_code": "fr"}
    config = private_config(tmp_path, telegram_engine.config.paths.cache, log_level="DEBUG")
    async with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "PYTHONIOENCODING": "utf-8"}
        async with faqbot_telegram("--config", str(config), "--base-url", api.base_url, env=env,
                                   cwd=REPO) as process:
            await api.wait_call("getUpdates", timeout=90, started=True)
            api.push_update({"message": {"message_id": 1, "text": text, "from": user}})  # unreadable
            api.fail("sendMessage", status=400, times=1)  # a traceback, and an apology
            api.send_text(text, user=user)
            api.send_text(f"{text} ?", user=user)
            api.inline_query(text, user=user)
            api.send_text("/stats", user=user)  # refused: logged with the user's id
            replies = await wait_delivered(api, user["id"], 3, timeout=20)
            await api.wait_call("answerInlineQuery", timeout=10)
            process.send_signal(signal.SIGTERM)
            _, stderr = await process.wait()
    logs = stderr.decode()
    assert ERROR in [seen(r) for r in replies] and ADMIN_ONLY in [seen(r) for r in replies]
    assert "Traceback" in logs and "DEBUG" in logs and "Refused /stats to user 61000" in logs  # not vacuous
    for secret in (name, username, text, "passeport", api.token.split(":")[1]):
        assert secret not in logs, secret


async def test_stats_are_for_admins_in_private_only(start_bot, fake_api: FakeBotAPI,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    await start_bot(admin_ids=(ADMIN["id"],))
    fake_api.send_text("/stats", user=ADMIN, chat=GROUP)
    in_group = (await wait_delivered(fake_api, GROUP["id"], 1, timeout=10))[0]
    assert "questions reçues" not in seen(in_group) and "privé" in seen(in_group)
    fake_api.send_text("/stats", user=ADMIN)
    assert "questions reçues" in seen((await wait_delivered(fake_api, ADMIN["id"], 1, timeout=10))[0])
    fake_api.send_text("/stats", user=USER, chat=GROUP)
    refused = (await wait_delivered(fake_api, GROUP["id"], 2, timeout=10))[1]
    assert seen(refused) == ADMIN_ONLY
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_no_network_at_start_up_is_a_few_lines_and_a_clear_exit(tmp_path: Path,
                                                                    telegram_engine: Engine) -> None:
    """Issue 14 item 5: one bounded retry policy, one line per try, no traceback, a non-zero exit."""
    config = private_config(tmp_path, telegram_engine.config.paths.cache)
    configure(config, startup_retries="2")
    with socket.socket() as closed:  # a port nobody listens on: every connection is refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35, "PYTHONIOENCODING": "utf-8"}
    started = time.monotonic()
    async with faqbot_telegram("--config", str(config), "--base-url", f"http://127.0.0.1:{port}/bot",
                               env=env, cwd=REPO) as process:
        _, stderr = await process.wait()
    took, logs = time.monotonic() - started, stderr.decode()
    lines = [line for line in logs.splitlines() if line.strip()]
    assert process.returncode not in (0, None) and took < 30
    assert sum("try" in line and "again" in line for line in lines) == 2, logs  # one line per retry
    assert "could not start" in lines[-1] and "Traceback" not in logs and "A" * 35 not in logs
    assert len(lines) <= 4, logs
