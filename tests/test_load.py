"""Load: 2,000 messages from 200 chats queued at once, each answered exactly once and in order within its chat.

The real bot (python-telegram-bot + engine) against the fake Bot API server. Telegram's own flood
limits (30 messages/s for the whole bot) are lifted here, since they would make this measure the
rate limiter instead of the bot; the flood guard is lifted too (it has its own test). Throughput
and the update -> reply times are printed (run with -s to see them), never asserted: they depend
on the machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import statistics
import time

import pytest
from fakebotapi import Call, FakeBotAPI, plain_text
from test_reliability import QUESTIONS, answer_index, person

from bot.channels.telegram import RetryingRateLimiter, Service
from bot.config import Config
from bot.engine import Engine

CHATS, PER_CHAT = 200, 10


def replies(api: FakeBotAPI) -> list[Call]:
    """Every message delivered (one pass: scanning the calls once per chat would slow the bot under test)."""
    return [c for c in api.calls if c.method == "sendMessage" and c.done and not c.error]


def seen(call: Call) -> str:
    return plain_text(call.text, call.params.get("parse_mode"))


async def test_2000_messages_from_200_chats_are_each_answered_once_in_order(
        fake_api: FakeBotAPI, telegram_engine: Engine, telegram_config: Config,
        caplog: pytest.LogCaptureFixture) -> None:
    texts = answer_index(telegram_engine)
    telegram = dataclasses.replace(telegram_config.telegram, base_url=fake_api.base_url, flood_messages=10**6)
    config = dataclasses.replace(telegram_config, telegram=telegram)
    unlimited = RetryingRateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    service = Service(telegram_engine, config, fake_api.token, limiter=unlimited, environ={})
    await service.start()
    try:
        await fake_api.wait_call("getUpdates", started=True)

        users = [person(n) for n in range(CHATS)]
        sent: dict[int, list[int]] = {u["id"]: [] for u in users}  # chat -> update ids, in sending order
        for k in range(PER_CHAT):  # queued at once, the chats interleaved
            for number, user in enumerate(users):
                update = fake_api.send_text(QUESTIONS[(number + k) % len(QUESTIONS)], user=user)
                sent[user["id"]].append(update["update_id"])
        total = CHATS * PER_CHAT
        deadline = time.monotonic() + 110
        while len(replies(fake_api)) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
        await asyncio.sleep(0.5)  # late duplicates would show up now
    finally:
        await service.stop()

    answered: dict[int, list[Call]] = {chat: [] for chat in sent}
    for reply in replies(fake_api):
        answered[reply.chat_id].append(reply)
    for number, user in enumerate(users):
        order = [texts.get(seen(a)) for a in answered[user["id"]]]
        assert order == [(number + k) % len(QUESTIONS) for k in range(PER_CHAT)], f"chat {user['id']}"
    latencies = [answer.time - fake_api.update_times[update_id]
                 for chat, updates in sent.items() for update_id, answer in zip(updates, answered[chat], strict=True)]
    first = min(fake_api.update_times[u] for updates in sent.values() for u in updates)
    last = max(a.time for answers in answered.values() for a in answers)
    count = sum(len(a) for a in answered.values())
    duplicated = sum(max(0, len(a) - PER_CHAT) for a in answered.values())
    lost = sum(max(0, PER_CHAT - len(a)) for a in answered.values())
    retries = sum("retry" in r.getMessage() for r in caplog.records)
    print(f"\nload: {total} messages from {CHATS} chats: {count} answered, {lost} lost, "
          f"{duplicated} duplicated, {retries} send retries; throughput {count / (last - first):.0f} answers/s "
          f"over {last - first:.1f} s; update->reply p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {statistics.quantiles(latencies, n=100)[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    assert (count, lost, duplicated) == (total, 0, 0)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
