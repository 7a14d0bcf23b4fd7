"""Load (issue 13, finding 6): many chats writing at once, each message answered exactly once and in
order within its chat, at the pace Telegram allows (30 messages a second for the bot).

The real bot (python-telegram-bot + engine) against the fake Bot API server. The issue's full size,
2,000 messages from 200 chats, takes over a minute at 30/s: the tests run 450 from 45 chats unless
FAQBOT_FULL_LOAD=1. Figures are printed (run with -s).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import statistics
import time

import pytest
from fakebotapi import Call, FakeBotAPI, plain_text
from test_reliability import QUESTIONS, answer_index, person

from bot.channels.telegram import RetryingRateLimiter
from bot.config import Config
from bot.engine import Engine

FULL = os.environ.get("FAQBOT_FULL_LOAD") == "1"
CHATS, PER_CHAT = (200, 10) if FULL else (45, 10)
WARM_UP = 60  # answers before the rate is measured: the limiter lets a first burst of 30 through


def replies(api: FakeBotAPI) -> list[Call]:
    """Every message delivered (one pass: scanning the calls once per chat would slow the bot under test)."""
    return [c for c in api.calls if c.method == "sendMessage" and c.done and not c.error]


def seen(call: Call) -> str:
    return plain_text(call.text, call.params.get("parse_mode"))


async def run_load(api: FakeBotAPI, engine: Engine, caplog: pytest.LogCaptureFixture, timeout: float) -> dict:
    """Queue CHATS x PER_CHAT questions at once (chats interleaved); check each chat's answers; return figures."""
    texts = answer_index(engine)
    await api.wait_call("getUpdates", started=True)
    users = [person(n) for n in range(CHATS)]
    sent: dict[int, list[int]] = {u["id"]: [] for u in users}  # chat -> update ids, in sending order
    for k in range(PER_CHAT):
        for number, user in enumerate(users):
            sent[user["id"]].append(api.send_text(QUESTIONS[(number + k) % len(QUESTIONS)], user=user)["update_id"])
    total = CHATS * PER_CHAT
    deadline = time.monotonic() + timeout
    while len(replies(api)) < total and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    await asyncio.sleep(0.5)  # late duplicates would show up now

    answered: dict[int, list[Call]] = {chat: [] for chat in sent}
    for reply in replies(api):
        answered[reply.chat_id].append(reply)
    for number, user in enumerate(users):
        order = [texts.get(seen(a)) for a in answered[user["id"]]]
        assert order == [(number + k) % len(QUESTIONS) for k in range(PER_CHAT)], f"chat {user['id']}"
    times = sorted(a.time for answers in answered.values() for a in answers)
    latencies = [answer.time - api.update_times[update_id]
                 for chat, updates in sent.items() for update_id, answer in zip(updates, answered[chat], strict=True)]
    figures = {
        "count": len(times),
        "lost": sum(max(0, PER_CHAT - len(a)) for a in answered.values()),
        "duplicated": sum(max(0, len(a) - PER_CHAT) for a in answered.values()),
        "rate": (len(times) - WARM_UP - 1) / (times[-1] - times[WARM_UP]),
        "busiest second": _busiest(times[WARM_UP:], 1.0),
        "busiest 3 s": _busiest(times[WARM_UP:], 3.0),
        "span": times[-1] - times[0],
        "p50": statistics.median(latencies),
        "max": max(latencies),
        "retries": sum("retry" in r.getMessage() for r in caplog.records),
        "typing": len(api.calls_to("sendChatAction")),
    }
    print(f"\nload: {total} messages from {CHATS} chats: {figures['count']} answered, {figures['lost']} lost, "
          f"{figures['duplicated']} duplicated, {figures['retries']} send retries, {figures['typing']} typing actions; "
          f"{figures['rate']:.1f} answers/s sustained (after the first {WARM_UP}), busiest second "
          f"{figures['busiest second']} (3 s: {figures['busiest 3 s']}), all in {figures['span']:.1f} s; "
          f"update->reply p50 {figures['p50']:.1f} s, max {figures['max']:.1f} s")
    assert (figures["count"], figures["lost"], figures["duplicated"]) == (total, 0, 0)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    return figures


def _busiest(times: list[float], window: float) -> int:
    """Return the most of the sorted `times` that fall in any `window` seconds."""
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


async def test_many_chats_are_answered_at_telegrams_pace_through_the_limiter(
        start_bot, fake_api: FakeBotAPI, telegram_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    await start_bot()  # Telegram's limits and the flood guard as configured
    figures = await run_load(fake_api, telegram_engine, caplog, timeout=CHATS * PER_CHAT / 20 + 30)
    assert figures["typing"] == 0  # the whole budget goes to answers
    # About 29.7 a second on an idle machine (printed; `faqbot bench` measures speed). The bound only catches
    # a limiter that throttles far below Telegram's 30: beside the other tests on two busy cores, a stall of a
    # second or two is no fault of the bot's (with 27 here, this test failed twice in many parallel runs,
    # passing alone each time).
    assert figures["rate"] >= 20.0
    # The limiter grants at most 30 in any second (next test, on the same class). Here the fake shares the
    # bot's event loop: when a busy machine stalls the loop, the requests granted meanwhile are read
    # together, and the busiest second read held 36 and 38, the busiest three seconds 95, in parallel runs
    # beside a measurement (printed above, not asserted). The sustained rate is what a stall cannot raise:
    # it shows that every answer went through the limiter.
    assert figures["rate"] <= 30 * 1.05


async def test_the_limiter_never_grants_more_than_its_rate_in_any_second() -> None:
    rate, requests = 100, 300
    limiter = RetryingRateLimiter(overall_max_rate=0, messages_per_second=rate)
    granted: list[float] = []
    loop = asyncio.get_running_loop()

    async def one() -> None:
        await limiter._slot()
        granted.append(loop.time())
        await asyncio.sleep(0.002 * (len(granted) % 7))  # busy callers, late wake-ups

    start = loop.time()
    await asyncio.gather(*(one() for _ in range(requests)))
    busiest = max(sum(1 for t in granted[i:] if t < first + 1.0) for i, first in enumerate(granted))
    assert busiest <= rate
    assert loop.time() - start >= (requests - rate) / rate  # and not much slower than its rate
    assert loop.time() - start <= requests / rate + 0.5


async def test_the_bot_alone_answers_faster_than_telegram_allows(
        fake_api: FakeBotAPI, telegram_engine: Engine, telegram_config: Config,
        caplog: pytest.LogCaptureFixture) -> None:
    """Telegram's flood limits lifted (and the flood guard): the bot's own capacity, printed, not asserted."""
    from bot.channels.telegram import Service

    telegram = dataclasses.replace(telegram_config.telegram, base_url=fake_api.base_url, flood_messages=10**6)
    config = dataclasses.replace(telegram_config, telegram=telegram)
    unlimited = RetryingRateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    service = Service(telegram_engine, config, fake_api.token, limiter=unlimited, environ={})
    await service.start()
    try:
        await run_load(fake_api, telegram_engine, caplog, timeout=CHATS * PER_CHAT / 10 + 30)
    finally:
        await service.stop()
