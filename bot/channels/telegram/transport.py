"""Getting updates in and answers out: the polling loop, the per-chat lanes, the rate limiter with
its retry rules (the systemd watchdog is in systemd.py, logs without secrets or user data in logs.py).

Updates flow: getUpdates (or the webhook, see webhook.py) -> `Store.record` (committed) -> the next
getUpdates confirms them -> `Dispatcher` parses each one alone and runs it in its chat's lane ->
`Store.finish`. An update the library cannot parse is skipped after one log line; it never blocks
the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from http import HTTPStatus
from typing import Any

import httpx
from telegram import Bot, Update
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

from bot.channels.telegram.store import Store

log = logging.getLogger(__name__)

# -- sending: rate limits and retries --------------------------------------------------------------
# A request that surely did not reach Telegram (no connection, a 5xx answer) is retried after these
# pauses (~16 s in all); 429 is waited out by AIORateLimiter.
SEND_RETRY_DELAYS = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)  # seconds
NO_RETRY = frozenset({"sendChatAction"})  # cosmetic: never worth delaying the answer
# Start-up calls have one retry policy, the start-up's own (Service._bootstrap, `startup_retries`):
# retrying them here as well made 3 x 7 tries and 54 s of logs before « could not start ».
SETUP_CALLS = frozenset({"getMe", "deleteWebhook", "setWebhook", "setMyCommands"})
# The window in which at most messages_per_second messages leave: a second and a margin, so that
# timing jitter on the way (a late wake-up here, a request overtaking another) never lets Telegram
# count one more in its second.
RATE_WINDOW_SECONDS = 1.01
MAX_REQUESTS_IN_FLIGHT = 16  # Bot API requests at once: 16 at ~100 ms each is 160/s, over Telegram's 30/s
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class NotSure(NetworkError):
    """The request may have reached Telegram (no answer in time, connection cut): it is not resent.

    Telegram has no idempotency key: resending after a read time-out can show the user the same
    answer twice. The cost of not resending is an answer lost when the request had not arrived.
    """


def surely_not_sent(exc: NetworkError) -> bool:
    """Tell whether a failed request surely did not reach Telegram, or was refused without effect."""
    if isinstance(exc, BadRequest):
        return False
    if exc.__cause__ is None:  # Telegram (or its proxy) answered with an error status: nothing was done
        return not isinstance(exc, TimedOut)
    return isinstance(exc.__cause__, _NOT_SENT)


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (Telegram's flood limits, 429 retried after retry_after) that also
    retries, a bounded number of times, the failures where the request surely did not reach
    Telegram (`surely_not_sent`). Any other failure is raised: a 400 as it is, an uncertain
    network failure as `NotSure`.

    Requests to a chat leave at most `messages_per_second` a second, evenly spaced, in the order
    they were made (AIORateLimiter's own overall limit is a bucket that lets bursts of its whole
    rate through: Telegram sees over 30 in some seconds). At most MAX_REQUESTS_IN_FLIGHT requests
    run at once: the others wait here, in order, rather than in httpx's connection pool, whose
    bookkeeping grows with the square of its queue.
    """

    def __init__(self, *args: Any, messages_per_second: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight = asyncio.Semaphore(MAX_REQUESTS_IN_FLIGHT)
        self._interval = 1.0 / messages_per_second if messages_per_second > 0 else 0.0
        self._sent: deque[float] = deque(maxlen=max(1, int(messages_per_second)))  # the last second's sends
        self._next_slot = 0.0

    async def _slot(self) -> None:
        """Wait for this request's turn: one every 1/messages_per_second seconds, first come first served,
        and never more than messages_per_second in any second (requests woken late do not go in a burst)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
        while len(self._sent) == self._sent.maxlen and (wait := self._sent[0] + RATE_WINDOW_SECONDS - loop.time()) > 0:
            await asyncio.sleep(wait)
        self._sent.append(loop.time())

    def _paced(self, callback: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Coroutine[Any, Any, Any]]:
        async def paced(*args: Any, **kwargs: Any) -> Any:
            await self._slot()
            return await callback(*args, **kwargs)

        return paced

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        pauses = iter(SEND_RETRY_DELAYS)
        for attempt in itertools.count(1):
            try:
                paced = self._paced(callback) if self._interval and data.get("chat_id") is not None else callback
                async with self._in_flight:
                    return await super().process_request(paced, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as exc:
                chat = data.get("chat_id", "-")
                if isinstance(exc, BadRequest | NotSure):
                    raise
                if not surely_not_sent(exc):
                    log.warning("%s to chat %s: no answer from Telegram (%s); not resent, it may have arrived",
                                endpoint, chat, exc)
                    raise NotSure(str(exc)) from exc
                if endpoint in NO_RETRY or endpoint in SETUP_CALLS:
                    raise
                pause = next(pauses, None)
                if pause is None:
                    log.error("%s to chat %s failed %d times, giving up: %s", endpoint, chat, attempt, exc)
                    raise
                log.warning("%s to chat %s failed (%s); retry %d in %.1f s", endpoint, chat, exc, attempt, pause)
                await asyncio.sleep(pause)


# -- lanes -------------------------------------------------------------------------------------------
MAX_BACKLOG = 10_000  # updates parsed and waiting in memory; past this, polling waits (Telegram keeps the rest)


def lane_of(update: Update) -> tuple[Hashable, int | None]:
    """The lane whose updates run in order (the chat; the user for inline queries) and the chat, if any."""
    if update.effective_chat is not None:
        return update.effective_chat.id, update.effective_chat.id
    if update.effective_user is not None:
        return ("user", update.effective_user.id), None
    return ("update", update.update_id), None


class Dispatcher:
    """Run the updates of different chats concurrently, and those of one chat one at a time, in order.

    Each update is parsed alone: one the library cannot read is skipped with one log line (its id
    and the kind of error) and marked so in the store. Each handled update is marked done in the
    store, with its chat's state, before the next one of its chat starts.
    """

    def __init__(self, handle: Callable[[Update], Awaitable[None]], store: Store, bot: Bot,
                 max_backlog: int = MAX_BACKLOG) -> None:
        self.handle, self.store, self.bot, self.max_backlog = handle, store, bot, max_backlog
        self.backlog = 0
        self.last_progress = time.monotonic()
        self._lanes: dict[Hashable, deque[tuple[int, Update, int | None]]] = {}
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room.set()
        self._closing = False
        self._left = 0  # updates whose lane ended before them (closed or cancelled): pending in the store

    def submit(self, update_id: int, body: str) -> None:
        """Queue a recorded update in its lane (or skip it if it cannot be read)."""
        try:
            update = Update.de_json(json.loads(body), self.bot)
            lane, chat = lane_of(update)
        except Exception as exc:  # whatever the library chokes on: the update, not the bot, is dropped
            log.warning("Update %d could not be read (%s); skipped", update_id, type(exc).__name__)
            self.store.skip(update_id, type(exc).__name__)
            return
        self._lanes.setdefault(lane, deque()).append((update_id, update, chat))
        self.backlog += 1
        self._idle.clear()
        if self.backlog >= self.max_backlog:
            self._room.clear()
        if lane not in self._tasks:
            self._tasks[lane] = asyncio.get_running_loop().create_task(self._run(lane), name=f"lane {lane}")

    async def room(self) -> None:
        """Wait until the backlog has room for another batch."""
        await self._room.wait()

    async def _run(self, lane: Hashable) -> None:
        queue = self._lanes[lane]
        chats: set[int] = set()
        try:
            while queue and not self._closing:
                update_id, update, chat = queue[0]
                if chat is not None:
                    chats.add(chat)
                try:
                    await self.handle(update)
                except Exception as exc:  # PTB hands handler errors to the error handler: this is a bug of ours
                    log.error("Update %d failed outside the handlers", update_id, exc_info=exc)
                try:
                    self.store.finish(update_id, chat)
                except Exception as exc:  # the disk: the update stays pending and is handled again at start
                    log.error("Could not mark update %d as handled", update_id, exc_info=exc)
                queue.popleft()
                self.backlog -= 1
                self.last_progress = time.monotonic()
                if self.backlog < self.max_backlog:
                    self._room.set()
        finally:
            self.backlog -= len(queue)  # closed or cancelled: what is left stays pending in the store
            self._left += len(queue)
            del self._lanes[lane], self._tasks[lane]
            for chat in chats:
                self.store.release(chat)
            if not self._lanes:
                self._idle.set()
                self._room.set()

    async def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every queued update to be handled; tell whether they were."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self._idle.is_set()

    def close(self) -> None:
        """Start no other update: each lane ends after the one it is handling (they stay pending in the store)."""
        self._closing = True

    async def cancel(self) -> int:
        """Stop every lane now; return how many updates were left (they stay pending in the store)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return self._left

    def stalled(self, seconds: float) -> bool:
        """Tell whether updates are waiting but none was finished for `seconds`."""
        return self.backlog > 0 and time.monotonic() - self.last_progress > seconds


# -- long polling -----------------------------------------------------------------------------------
POLL_SECONDS = 20  # long-poll timeout asked of Telegram
POLL_GRACE = 15  # seconds a getUpdates may take beyond its long-poll timeout before the loop counts as stuck
AUTH_PAUSE_MAX = 30.0  # seconds between two tries of a refused getUpdates (401/404) at most
HTTP_MARGIN_SECONDS = 10  # the HTTP client waits this long for a connection, and this long beyond the long poll
ROOM_WAIT_SECONDS = 3600  # while waiting for room in the backlog, the loop counts as alive this long
TRANSIENT_PAUSE_FIRST = 0.5  # seconds after a first network failure, a 5xx or a 409...
TRANSIENT_PAUSE_GROWTH = 1.5  # ... then this many times longer after each further one...
TRANSIENT_PAUSE_MAX = 10.0  # ... up to this many seconds
RETRY_AFTER_DEFAULT = 5.0  # seconds waited on a 429 that does not say how long
RETRY_AFTER_BOUNDS = (1.0, 300.0)  # a 429's retry_after is kept within these seconds
LOG_EVERY_FAILURES = 20  # a run of failures is logged at its first and at every this many


class PollingFailed(Exception):
    """Telegram kept refusing getUpdates (401/404): restarting the process is the way out."""


class Poller:
    """Fetch updates with getUpdates, record them, then confirm them with the next call's offset.

    The raw JSON is fetched with httpx, so that no single update can make the batch unreadable.
    Network failures, 5xx, 409 and 429 are retried for ever (Telegram keeps the updates); 401 and
    404 (token revoked, or an API server that lost it) are retried `auth_retries` times with a
    growing pause (1 s, doubling, up to 30 s), then `run` raises PollingFailed.
    """

    def __init__(self, base_url: str, token: str, store: Store, dispatcher: Dispatcher,
                 allowed_updates: list[str], auth_retries: int) -> None:
        self.url = f"{base_url}{token}/getUpdates"
        self.store, self.dispatcher = store, dispatcher
        self.allowed_updates = allowed_updates
        self.auth_retries = auth_retries
        self.alive_until = time.monotonic() + POLL_SECONDS + POLL_GRACE
        self._failures = 0

    def alive(self) -> bool:
        """Tell whether the loop's current step (a long poll or a pause) is within its expected time."""
        return time.monotonic() < self.alive_until

    async def run(self) -> None:
        offset = self.store.next_offset()
        auth_failures = 0
        timeout = httpx.Timeout(POLL_SECONDS + HTTP_MARGIN_SECONDS, connect=HTTP_MARGIN_SECONDS)
        async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=1)) as client:
            while True:
                self.alive_until = time.monotonic() + ROOM_WAIT_SECONDS  # waiting for room is not being stuck
                await self.dispatcher.room()
                self.alive_until = time.monotonic() + POLL_SECONDS + POLL_GRACE
                data = {"timeout": str(POLL_SECONDS), "allowed_updates": json.dumps(self.allowed_updates)}
                if offset is not None:
                    data["offset"] = str(offset)
                try:
                    response = await client.post(self.url, data=data)
                    status, payload = response.status_code, _json(response.content)
                except httpx.HTTPError as exc:
                    await self._pause(f"{type(exc).__name__}", self._transient_pause())
                    continue
                if status == HTTPStatus.OK and payload.get("ok") is True and isinstance(payload.get("result"), list):
                    if self._failures:
                        log.warning("getUpdates works again after %d failure(s)", self._failures)
                    self._failures = auth_failures = 0
                    offset = self._take(payload["result"], offset)
                    continue
                description = payload.get("description") if isinstance(payload.get("description"), str) else ""
                problem = f"{status} {description}".strip()
                if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
                    auth_failures += 1
                    if auth_failures > self.auth_retries:
                        raise PollingFailed(f"Telegram refused getUpdates {auth_failures} times in a row ({problem})")
                    await self._pause(problem, min(2.0 ** (auth_failures - 1), AUTH_PAUSE_MAX))
                elif status == HTTPStatus.TOO_MANY_REQUESTS:
                    retry_after = (payload.get("parameters") or {}).get("retry_after")
                    pause = float(retry_after) if type(retry_after) in (int, float) else RETRY_AFTER_DEFAULT
                    shortest, longest = RETRY_AFTER_BOUNDS
                    await self._pause(problem, min(max(pause, shortest), longest))
                else:  # 5xx, 409 (a webhook is set, or another instance polls), anything unexpected
                    await self._pause(problem, self._transient_pause())

    def _take(self, items: list[Any], offset: int | None) -> int | None:
        """Record a batch (committed before the next getUpdates confirms it) and queue the new updates."""
        batch = []
        for item in items:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if type(update_id) is not int:
                log.warning("getUpdates returned an item without an update id; ignored")
                continue
            batch.append((update_id, json.dumps(item)))
        if not batch:
            return offset
        new = set(self.store.record(batch))  # raises on a disk failure: the offset is not advanced
        for update_id, body in batch:
            if update_id in new:
                self.dispatcher.submit(update_id, body)
        return max(update_id for update_id, _ in batch) + 1

    def _transient_pause(self) -> float:
        return min(TRANSIENT_PAUSE_FIRST * TRANSIENT_PAUSE_GROWTH ** self._failures, TRANSIENT_PAUSE_MAX)

    async def _pause(self, problem: str, seconds: float) -> None:
        self._failures += 1
        if self._failures == 1 or self._failures % LOG_EVERY_FAILURES == 0:
            log.warning("getUpdates failed (%s), %d time(s) in a row; next try in %.1f s",
                        problem, self._failures, seconds)
        self.alive_until = time.monotonic() + seconds + POLL_GRACE
        await asyncio.sleep(seconds)


def _json(content: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(content)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
