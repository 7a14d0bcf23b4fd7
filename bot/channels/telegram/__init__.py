"""The Telegram front end on python-telegram-bot 22: the only package that imports `telegram`.

A thin adapter: every question goes to the shared `Engine`; the package turns its `Reply` into
Telegram HTML and inline keyboards, keeps each chat's `Conversation`, and makes sure no update is
lost, answered twice or able to stop the others.

- texts: every user-facing text (French)
- render: HTML messages, split at Telegram's limit; keyboards; the buttons' callback data
- handlers: commands, questions, buttons, inline queries, the error handler
- transport: getUpdates, per-chat lanes, rate limits and send retries
- logs: log scrubbing (no token, no user data); systemd: notifications and the watchdog
- store: the SQLite inbox, conversations and stats; webhook: the webhook's HTTP server
- app: start-up, graceful stop, `run` (what `faqbot telegram` calls)
"""

from bot.channels.telegram.app import (
    ALLOWED_UPDATES,
    Service,
    ServiceError,
    SetupError,
    build_application,
    rate_limiter,
    run,
    webhook_options,
)
from bot.channels.telegram.handlers import ADMIN_COMMANDS, PUBLIC_COMMANDS
from bot.channels.telegram.logs import LogScrubber
from bot.channels.telegram.render import (
    DATA_LIMIT,
    TEXT_LIMIT,
    intent_data,
    intent_from_data,
    reload_report,
    render_reply,
    split_text,
)
from bot.channels.telegram.texts import (
    ADMIN_ONLY,
    CLARIFY_TEXT,
    ERROR,
    FLOOD,
    NON_TEXT,
    NONE_OF_THESE,
    SEE_ALSO,
    STALE_BUTTON,
    UNKNOWN_COMMAND,
)
from bot.channels.telegram.transport import RetryingRateLimiter

SecretRedactor = LogScrubber  # the name before the scrubber also hid user data

__all__ = [
    "ADMIN_COMMANDS", "ADMIN_ONLY", "ALLOWED_UPDATES", "CLARIFY_TEXT", "DATA_LIMIT", "ERROR", "FLOOD", "NONE_OF_THESE",
    "NON_TEXT", "PUBLIC_COMMANDS", "SEE_ALSO", "STALE_BUTTON", "TEXT_LIMIT", "UNKNOWN_COMMAND", "LogScrubber",
    "RetryingRateLimiter", "SecretRedactor", "Service", "ServiceError", "SetupError", "build_application",
    "intent_data", "intent_from_data", "rate_limiter", "reload_report", "render_reply", "run", "split_text",
    "webhook_options",
]
