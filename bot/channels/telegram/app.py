"""Start-up and shut-down: build the python-telegram-bot Application, run the service, handle signals.

`Service` owns the pieces: the store (store.py), PTB's Application (handlers.py), the dispatcher's
lanes and the poller (transport.py) or the webhook server (webhook.py), and the systemd
notifications. `run` serves until SIGTERM/SIGINT: the first signal stops fetching and lets the
lanes finish for up to `drain_seconds`; what is left, or everything at a second signal, stays
pending in the store and is answered at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.channels.telegram.handlers import FaqBot
from bot.channels.telegram.logs import LogScrubber, configure_logging
from bot.channels.telegram.store import Store, StoreError
from bot.channels.telegram.systemd import STALL_SECONDS, sd_notify, watchdog
from bot.channels.telegram.transport import (
    Dispatcher,
    Poller,
    PollingFailed,
    RetryingRateLimiter,
)
from bot.channels.telegram.webhook import WebhookServer
from bot.config import Config, TelegramSettings
from bot.engine import Engine

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
RATE_LIMIT_RETRIES = 3  # a request Telegram answers 429 is sent again at most this many times
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
STARTUP_PAUSE_FIRST = 1.0  # seconds before the second try of a start-up step Telegram did not answer
STARTUP_PAUSE_GROWTH = 1.5  # each further try waits this many times longer than the last...
STARTUP_PAUSE_MAX = 30.0  # ... up to this many seconds
FINISH_SECONDS = 6.0  # after the drain, for the updates being handled to finish (a send times out after 5 s)


class SetupError(Exception):
    """The bot cannot start with this configuration (one line for the command; exit code 2)."""


class ServiceError(Exception):
    """The bot stopped serving and should be restarted (one line for the command; exit code 1)."""


@dataclass(frozen=True)
class Webhook:
    listen: str
    port: int
    url: str
    path: str
    secret: str


def webhook_options(settings: TelegramSettings, environ: Mapping[str, str]) -> Webhook:
    """Return where the webhook listens and its secret token (from the environment)."""
    secret = environ.get(settings.webhook_secret_env, "")
    if not SECRET_RE.fullmatch(secret):
        raise SetupError(f"{settings.webhook_secret_env} must hold the webhook secret token (1-256 characters "
                         "among A-Z a-z 0-9 _ -) in webhook mode")
    return Webhook(settings.webhook_listen, settings.webhook_port, settings.webhook_url,
                   urlparse(settings.webhook_url).path, secret)


def _file_url(base_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot (same for a local server)."""
    root = base_url[: -len("bot")] if base_url.endswith("/bot") else base_url.rstrip("/") + "/"
    return f"{root}file/bot"


def rate_limiter(settings: TelegramSettings) -> RetryingRateLimiter:
    """Telegram's limits: `max_messages_per_second` for the bot, 20 a minute in a group."""
    return RetryingRateLimiter(overall_max_rate=0, messages_per_second=settings.max_messages_per_second,
                               max_retries=RATE_LIMIT_RETRIES)


def build_application(engine: Engine, config: Config, token: str, store: Store,
                      limiter: AIORateLimiter | None = None) -> tuple[Application, FaqBot]:
    """Build the PTB Application (no updater, no persistence: the service feeds it) and its handlers."""
    settings = config.telegram
    faqbot = FaqBot(engine, settings, store)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .base_file_url(_file_url(settings.base_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(limiter or rate_limiter(settings))
        .updater(None)
        .build()
    )
    faqbot.register(app)
    return app, faqbot


class Service:
    """The running bot: `await start()`, then `await stopped()` or `await stop()`."""

    def __init__(self, engine: Engine, config: Config, token: str, webhook: Webhook | None = None,
                 limiter: AIORateLimiter | None = None, environ: Mapping[str, str] | None = None) -> None:
        self.settings = config.telegram
        self.token = token
        self.webhook = webhook
        self.environ = dict(environ if environ is not None else os.environ)
        self.store = Store(config.paths.persistence)
        self.app, self.faqbot = build_application(engine, config, token, self.store, limiter)
        self.dispatcher = Dispatcher(self.app.process_update, self.store, self.app.bot)
        self.poller: Poller | None = None
        self.server: WebhookServer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._source: asyncio.Task[None] | None = None
        self._initialized = False

    async def start(self) -> None:
        try:
            self.store.open()
        except (StoreError, OSError) as exc:
            raise SetupError(f"cannot use {self.store.path}: {exc}") from None
        try:
            await self._initialize()
            await self.faqbot.post_init(self.app)
            for update_id, body in self.store.pending(self.settings.pending_max_age):
                self.dispatcher.submit(update_id, body)  # recorded before a stop or a crash: answered first
            await self._bootstrap(self._open_source)
        except BaseException:
            await self._close()
            raise
        self._tasks.append(asyncio.get_running_loop().create_task(watchdog(self.healthy, self.environ)))
        sd_notify("READY=1", self.environ)

    async def _initialize(self) -> None:
        """getMe, retried `startup_retries` times (-1: for ever) while Telegram cannot be reached."""
        await self._bootstrap(self.app.initialize)
        self._initialized = True

    async def _bootstrap(self, step: Any) -> None:
        pause, tries = STARTUP_PAUSE_FIRST, 0
        while True:
            try:
                await step()
                return
            except InvalidToken:  # PTB's message quotes the token: never let it reach the terminal
                raise SetupError("Telegram rejected the token in TELEGRAM_BOT_TOKEN: check it with @BotFather "
                                 "(/token)") from None
            except (NetworkError, RetryAfter) as exc:
                tries += 1
                if 0 <= self.settings.startup_retries < tries:
                    redacted = LogScrubber([self.token, self.webhook.secret if self.webhook else ""]).redact(str(exc))
                    raise SetupError(f"could not start: {redacted}") from None
                log.warning("Start-up: Telegram unreachable (%s); try %d again in %.0f s", exc, tries, pause)
                await asyncio.sleep(pause)
                pause = min(pause * STARTUP_PAUSE_GROWTH, STARTUP_PAUSE_MAX)

    async def _open_source(self) -> None:
        bot, loop = self.app.bot, asyncio.get_running_loop()
        if self.webhook is None:
            await bot.delete_webhook()  # polling and a webhook exclude each other
            self.poller = Poller(self.settings.base_url, self.token, self.store, self.dispatcher, ALLOWED_UPDATES,
                                 self.settings.auth_retries)
            self._source = loop.create_task(self.poller.run(), name="getUpdates")
            return
        if self.server is None:
            self.server = WebhookServer(self.webhook.listen, self.webhook.port, self.webhook.path,
                                        self.webhook.secret, self.settings.webhook_max_bytes, self.accept)
            await self.server.start()
        await bot.set_webhook(self.webhook.url, secret_token=self.webhook.secret, allowed_updates=ALLOWED_UPDATES)

    def accept(self, update_id: int, body: str) -> bool:
        """Record one update from the webhook and queue it if new; tell whether it was."""
        if not self.store.record([(update_id, body)]):
            log.info("Update %d received again: already handled or queued", update_id)
            return False
        self.dispatcher.submit(update_id, body)
        return True

    def healthy(self) -> bool:
        """Updates are being fetched (or the webhook listens) and, if some are waiting, being handled."""
        fetching = self.poller.alive() if self.poller is not None else bool(self.server and self.server.serving())
        return fetching and not self.dispatcher.stalled(STALL_SECONDS)

    async def stopped(self) -> None:
        """Wait until the source of updates stops on its own (raises ServiceError if it failed)."""
        if self._source is None:
            await asyncio.Event().wait()  # a webhook serves until stopped
        try:
            await self._source  # type: ignore[misc]
        except PollingFailed as exc:
            raise ServiceError(str(exc)) from None

    async def stop(self, drain_seconds: float | None = None, abort: asyncio.Event | None = None) -> None:
        """Stop fetching; answer what was received for up to `drain_seconds`; then let the updates being
        handled finish (up to FINISH_SECONDS) and start no other. `abort` (a second signal) skips to the end.

        Updates not finished stay pending in the store and are answered at the next start; only those
        cut by `abort` in the middle of their answer may be answered twice.
        """
        sd_notify("STOPPING=1", self.environ)
        await self._stop_source()
        seconds = self.settings.drain_seconds if drain_seconds is None else drain_seconds
        if not await _unless(self.dispatcher.drain(seconds), abort):
            self.dispatcher.close()
            await _unless(self.dispatcher.drain(FINISH_SECONDS), abort)
        left = await self.dispatcher.cancel()
        if left:
            log.warning("Stopped with %d update(s) unanswered: they stay pending and are answered at the next start",
                        left)
        await self._close()

    async def _stop_source(self) -> None:
        if self._source is not None:
            self._source.cancel()
            with contextlib.suppress(asyncio.CancelledError, PollingFailed):
                await self._source
        if self.server is not None:
            await self.server.stop()  # Telegram keeps what it cannot deliver meanwhile

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.dispatcher.cancel()
        if self._initialized:
            self._initialized = False
            with contextlib.suppress(TelegramError, RuntimeError):
                await self.app.shutdown()
        self.store.close()


async def _unless(work: Awaitable[bool], abort: asyncio.Event | None) -> bool:
    """Await `work`, unless `abort` is set first (then return False)."""
    task = asyncio.ensure_future(work)
    waiting: set[asyncio.Future[Any]] = {task}
    if abort is not None:
        waiting.add(asyncio.ensure_future(abort.wait()))
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    for future in waiting:
        future.cancel()
    return task.done() and not task.cancelled() and task.result()


async def serve(service: Service) -> None:
    """Run `service` until SIGTERM/SIGINT (a second one stops at once) or until it fails."""
    loop = asyncio.get_running_loop()
    stop, abort = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():
            log.warning("Second signal: stopping now; unanswered updates stay pending")
            abort.set()
        else:
            log.warning("Stopping: answering the updates already received (up to %.0f s)",
                        service.settings.drain_seconds)
            stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, on_signal)
    await service.start()
    log.info("Application started")
    running = loop.create_task(service.stopped())
    stopping = loop.create_task(stop.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not running.done():
            running.cancel()
        await service.stop(abort=abort)
    if running.done() and not running.cancelled():
        running.result()  # raises the ServiceError that ended it


def run(engine: Engine, config: Config, token: str, environ: Mapping[str, str] = os.environ) -> None:
    """Serve until SIGINT/SIGTERM: a webhook when `webhook_url` is set, else long polling."""
    settings = config.telegram
    webhook = webhook_options(settings, environ) if settings.webhook_url else None
    configure_logging(config.log_level, [token, webhook.secret if webhook else ""])
    os.umask(0o077)  # the store and the unanswered log hold user data: owner only
    started = time.monotonic()
    asyncio.run(serve(Service(engine, config, token, webhook, environ=environ)))
    log.info("Stopped after %.0f s", time.monotonic() - started)
