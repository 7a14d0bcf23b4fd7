"""The Telegram front end on python-telegram-bot 22: the only module that imports `telegram`.

A thin adapter: every question goes to the shared `Engine`; this module only turns its `Reply`
into Telegram HTML (every dynamic text escaped) and inline keyboards, and keeps one
`Conversation` per chat in PTB's persistence. `build_application` wires the handlers,
`run` serves with long polling or a webhook.

Callback data (at most 64 bytes): ``a:<intent>`` (or ``a#<index>`` for a long id) answers an
intent, ``n`` is "none of these", ``t`` lists the topics, ``t:<i>`` a topic's questions and
``q:<i>:<j>`` one answer in the /sujets browser, which edits its own message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import (
    ChatAction,
    ChatType,
    InlineKeyboardButtonLimit,
    MessageEntityType,
    MessageLimit,
    ParseMode,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

from bot.config import Config, TelegramSettings
from bot.dialogue import Conversation
from bot.engine import ANSWERED, CLARIFY, CLARIFY_INTRO, FALLBACK, Engine, Reply
from bot.knowledge import KnowledgeBase, Problem, Topic
from bot.text import french_typography

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

CHANNEL, INLINE_CHANNEL = "telegram", "telegram-inline"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
DATA_LIMIT = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
INLINE_RESULTS = 3
INLINE_CACHE_SECONDS = 60
RATE_LIMIT_RETRIES = 3
# Network errors and 5xx answers are retried after these pauses (~16 s in all), then the error
# handler logs the failure: a blip of the network or of Telegram never loses a reply silently.
SEND_RETRY_DELAYS = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
NO_RETRY = frozenset({"sendChatAction"})  # cosmetic: never worth delaying the answer
MAX_CONCURRENT_UPDATES = 4096  # updates in flight at once (each chat's are still handled one at a time)
MAX_REQUESTS_IN_FLIGHT = 16  # Bot API requests at once: 16 at ~100 ms each is 160/s, over Telegram's 30/s
PERSISTENCE_SECONDS = 30
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

# Keys of chat_data / bot_data (persisted).
CONVERSATION, LAST_QUESTION, RECENT, PACED, STATS = "conversation", "last_question", "recent", "flood_paced_at", "stats"

# -- texts: French, "vous", typography applied once here -------------------------------------
WELCOME = french_typography(
    "Bonjour ! Je réponds à vos questions sur la DCI (Direction de la coopération internationale), "
    "les attachés de sécurité intérieure (ASI) et le service de sécurité intérieure (SSI) de Nouakchott, "
    "d'après une page de l'Ambassade de France en Mauritanie du 05/11/2015.\n\n"
    "Écrivez votre question avec vos propres mots, ou choisissez un sujet ci-dessous."
)
HELP = french_typography(
    "Comment m'utiliser :\n"
    "• Écrivez votre question en français, même sans accents ou avec des fautes, par exemple "
    "« Qui dirige le SSI de Nouakchott ? », puis « Et son mail ? ».\n"
    "• Quand je ne suis pas sûr d'avoir compris, je vous propose des questions : touchez la bonne.\n"
    "• Dans un groupe, mentionnez-moi (@{username}) ou répondez à l'un de mes messages.\n"
    "• Dans n'importe quelle discussion, tapez @{username} suivi de votre question.\n\n"
    "Commandes :\n"
    "/sujets – parcourir les sujets et leurs questions\n"
    "/contact – les coordonnées du SSI de Nouakchott\n"
    "/source – d'où viennent ces informations, et leur date\n"
    "/aide – ce message"
)
TOPICS_PROMPT = french_typography("Choisissez un sujet :")
TOPIC_PROMPT = french_typography("Choisissez une question :")
BACK_TO_TOPICS = "← Tous les sujets"
BACK_TO_QUESTIONS = "← Retour aux questions"
NONE_OF_THESE = "Aucune de ces questions"
# With buttons, a clarify shows no numbered list (typing a number still works, the engine knows it).
CLARIFY_TEXT = french_typography(f"{CLARIFY_INTRO}\nTouchez la bonne question ci-dessous, ou reformulez la vôtre.")
SEE_ALSO = french_typography("Voir aussi :")
NON_TEXT = french_typography(
    "Je ne comprends que les questions écrites. Posez-moi votre question dans un message texte, s'il vous plaît."
)
UNKNOWN_COMMAND = "Je ne connais pas cette commande. Tapez /aide pour voir ce que je sais faire."
ADMIN_ONLY = "Cette commande est réservée aux administrateurs du bot."
STALE_BUTTON = "Ce bouton n'est plus valable. Tapez /sujets pour retrouver les questions."
NOT_AVAILABLE = "Cette information n'est pas disponible pour le moment."
FLOOD = french_typography("Vous envoyez beaucoup de messages à la suite. Un instant, s'il vous plaît : je réponds "
                          "à chacun, dans l'ordre.")
ERROR = "Désolé, un problème technique m'a empêché de vous répondre. Réessayez dans un instant, s'il vous plaît."
RELOAD_OK = french_typography("Données rechargées : {intents} questions dans {topics} sujets.")
RELOAD_REFUSED = french_typography("Rechargement refusé : les données actuelles restent en service. "
                                   "{count} problème(s) à corriger (voir faqbot check) :")
STATS_TEXT = french_typography(
    "Statistiques depuis le {since} :\n"
    "• questions reçues : {total}\n"
    "• réponses données : {answered} ({answered_share})\n"
    "• demandes de précision : {clarify} ({clarify_share})\n"
    "• sans réponse : {fallback} ({fallback_share})\n"
    "Bot démarré le {started}."
)
INLINE_START = "Poser ma question au bot"

PUBLIC_COMMANDS = [
    BotCommand("start", "Accueil et sujets"),
    BotCommand("sujets", "Parcourir les sujets et leurs questions"),
    BotCommand("contact", "Coordonnées du SSI de Nouakchott"),
    BotCommand("source", "D'où viennent ces informations"),
    BotCommand("aide", "Comment poser vos questions"),
]
ADMIN_COMMANDS = [
    BotCommand("reload", "Recharger les données (administrateurs)"),
    BotCommand("stats", "Statistiques des questions (administrateurs)"),
]


# -- logging without secrets ----------------------------------------------------------------
class SecretRedactor(logging.Filter):
    """Replace secrets (the bot token is in every Bot API URL) in messages and tracebacks."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`, never showing `secrets`."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines are URLs holding the token
    redactor = SecretRedactor(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)


# -- rendering: plain engine text -> escaped HTML chunks and keyboards ---------------------------
def escape(text: str) -> str:
    """Escape dynamic text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def _units(text: str) -> int:
    """Return the length of `text` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fitting(text: str, limit: int) -> int:
    """Return how many characters of `text` fit in `limit` UTF-16 units (Telegram's measure)."""
    low, high = 0, min(len(text), limit)  # n characters take at least n units
    if _units(text[:high]) <= limit:
        return high
    while low < high:  # binary search: measuring a prefix is one C call, a loop over characters is slow
        middle = (low + high + 1) // 2
        low, high = (middle, high) if _units(text[:middle]) <= limit else (low, middle - 1)
    return low


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split plain text into pieces of at most `limit` units, at a paragraph, line or word break."""
    pieces = []
    while (end := _fitting(text, limit)) < len(text):
        end = max(end, 1)  # a limit narrower than one character still moves on
        cut = next((i for i in (text.rfind(sep, 0, end + 1) for sep in ("\n\n", "\n", " ")) if i > 0), end)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return [p for p in pieces if p.strip()]


def render_reply(reply: Reply) -> list[str]:
    """Return the HTML messages for a reply: bold title for answers, "voir aussi" before related buttons.

    A clarify's numbered list becomes buttons (see `reply_keyboard`); other texts are the engine's.
    """
    heading = f"{reply.title}\n\n" if reply.status == ANSWERED and reply.title else ""
    footer = f"\n\n{SEE_ALSO}" if reply.related else ""
    text = CLARIFY_TEXT if reply.status == CLARIFY and reply.suggestions else reply.text
    if _units(heading) > TEXT_LIMIT // 4:  # an absurdly long title (a data error): split it like the text
        heading, text = "", heading + text
    chunks = [escape(p) for p in split_text(text, TEXT_LIMIT - _units(heading) - _units(footer))] or [""]
    if heading:
        chunks[0] = f"<b>{escape(reply.title)}</b>\n\n{chunks[0]}"
    if footer:
        chunks[-1] += f"\n\n<i>{escape(SEE_ALSO)}</i>"
    return chunks


def intent_data(kb: KnowledgeBase, intent_id: str) -> str:
    """Return the callback data answering `intent_id`, within Telegram's 64 bytes."""
    data = f"a:{intent_id}"
    return data if len(data.encode()) <= DATA_LIMIT else f"a#{list(kb.intents).index(intent_id)}"


def intent_from_data(kb: KnowledgeBase, data: str) -> str | None:
    """Return the intent a button's data names, or None if it no longer exists."""
    if data.startswith("a:"):
        return data[2:] if data[2:] in kb.intents else None
    if data.startswith("a#") and data[2:].isdigit() and int(data[2:]) < len(kb.intents):
        return list(kb.intents)[int(data[2:])]
    return None


def _keyboard(rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)] for label, data in rows])


def reply_keyboard(kb: KnowledgeBase, reply: Reply) -> InlineKeyboardMarkup | None:
    """Suggestions plus "none of these" for a clarify, related questions for an answer."""
    if reply.status == CLARIFY and reply.suggestions:
        return _keyboard([(s.title, intent_data(kb, s.intent)) for s in reply.suggestions] + [(NONE_OF_THESE, "n")])
    if reply.status == ANSWERED and reply.related:
        return _keyboard([(s.title, intent_data(kb, s.intent)) for s in reply.related])
    return None


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def reload_report(engine: Engine, problems: list[Problem]) -> str:
    """Say, in HTML, whether the reload was applied, listing the first problems (within one message) if not."""
    if not problems:
        return escape(RELOAD_OK.format(intents=len(engine.kb.intents), topics=len(engine.kb.topics)))
    head = RELOAD_REFUSED.format(count=len(problems))
    lines, used = [escape(head)], _units(head)
    for shown, p in enumerate(problems):
        where = _clip(f"{p.path.name}:{p.line}" if p.line else p.path.name, 80)
        item, message = _clip(p.item, 80), _clip(p.message, 300)
        size = _units(f"\n• {where} {item} : {message}")
        if shown == 10 or used + size > TEXT_LIMIT - 40:  # 40: room for the "and N more" line
            lines.append(escape(f"… et {len(problems) - shown} autre(s)."))
            break
        lines.append(f"• <code>{escape(where)}</code> {escape(item)} : {escape(message)}")
        used += size
    return "\n".join(lines)


def new_stats() -> dict[str, float]:
    return {"since": time.time(), ANSWERED: 0, CLARIFY: 0, FALLBACK: 0}


def stats_text(stats: Mapping[str, float], started: float) -> str:
    """Describe the question counters (HTML-safe)."""
    total = int(stats[ANSWERED] + stats[CLARIFY] + stats[FALLBACK])

    def share(status: str) -> str:
        return f"{round(100 * stats[status] / total) if total else 0}\u00a0%"

    def date(moment: float) -> str:
        return time.strftime("%d/%m/%Y à %H:%M", time.localtime(moment))

    return escape(STATS_TEXT.format(
        since=date(stats["since"]), started=date(started), total=total,
        **{status: int(stats[status]) for status in (ANSWERED, CLARIFY, FALLBACK)},
        **{f"{status}_share": share(status) for status in (ANSWERED, CLARIFY, FALLBACK)},
    ))


def webhook_options(settings: TelegramSettings, environ: Mapping[str, str]) -> dict[str, Any]:
    """Return PTB's webhook arguments; the secret token comes from the environment."""
    secret = environ.get(settings.webhook_secret_env, "")
    if not SECRET_RE.fullmatch(secret):
        raise SetupError(f"{settings.webhook_secret_env} must hold the webhook secret token (1-256 characters "
                         "among A-Z a-z 0-9 _ -) in webhook mode")
    return {"listen": settings.webhook_listen, "port": settings.webhook_port, "webhook_url": settings.webhook_url,
            "url_path": urlparse(settings.webhook_url).path.lstrip("/"), "secret_token": secret}


class SetupError(Exception):
    """The bot cannot start with this configuration (one line for the command)."""


# -- group addressing -----------------------------------------------------------------------
def _mentions(message: Message, username: str) -> list[str]:
    """Return the @mentions of the bot in a message's text or caption."""
    entities = {**message.parse_entities([MessageEntityType.MENTION]),
                **message.parse_caption_entities([MessageEntityType.MENTION])}
    return [text for text in entities.values() if text.lower() == f"@{username}".lower()]


class _AddressedToBot(filters.MessageFilter):
    """A group message meant for the bot: a reply to one of its messages, or an @mention of it."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        return bool(_mentions(message, bot.username))


def _question_text(message: Message, username: str) -> str:
    text = message.text or ""
    for mention in _mentions(message, username):
        text = text.replace(mention, " ")
    # JSON may carry lone surrogates ("\ud800"); they are not text and no UTF-8 file or request can hold them.
    return text.encode("utf-8", "replace").decode("utf-8").strip()


# -- the handlers ----------------------------------------------------------------------------
class FaqBot:
    """The Telegram handlers around one shared engine."""

    def __init__(self, engine: Engine, settings: TelegramSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.started = time.time()

    def register(self, app: Application) -> None:
        """Add every handler; within group 0 the first matching handler wins, so order matters."""
        new = filters.UpdateType.MESSAGE  # edited messages are ignored
        commands = {"start": self.start, "aide": self.help, "help": self.help, "sujets": self.topics,
                    "contact": self.contact, "source": self.source, "reload": self.reload, "stats": self.stats}
        # 1. Known commands, in private chats and groups (PTB skips /cmd@otherbot).
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=new))
        # 2. Buttons and inline queries carry no text message.
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(InlineQueryHandler(self.inline))
        # 3. Unknown commands get a hint in private only: in groups they may be for another bot.
        app.add_handler(MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, self.unknown_command))
        # 4. Questions: any text in private, only what is addressed to the bot in groups.
        addressed = filters.ChatType.PRIVATE | _AddressedToBot()
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND & addressed, self.question))
        # 5. Photos, stickers, voice...: one polite line (service messages are not for us).
        app.add_handler(MessageHandler(new & ~filters.TEXT & ~filters.StatusUpdate.ALL & addressed, self.not_text))
        app.add_error_handler(self.error)

    async def post_init(self, app: Application) -> None:
        """Prepare the stats and register the command menu (cosmetic: a failure is only logged)."""
        app.bot_data.setdefault(STATS, new_stats())
        try:
            await app.bot.set_my_commands(PUBLIC_COMMANDS)
            for admin in self.settings.admin_ids:
                await self._set_admin_commands(app, admin)
        except TelegramError as exc:
            log.warning("Could not register the command menu (%s); the commands still work", exc)

    async def _set_admin_commands(self, app: Application, admin: int) -> None:
        try:
            await app.bot.set_my_commands(PUBLIC_COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin))
        except BadRequest as exc:  # "chat not found": this admin has not talked to the bot yet
            log.info("No admin command menu for %s: %s", admin, exc)

    # -- commands --------------------------------------------------------------------------
    async def start(self, update: Update, context: Context) -> None:
        """Welcome the user and offer the topics."""
        await update.effective_message.reply_html(escape(WELCOME), reply_markup=self._topics_keyboard())

    async def help(self, update: Update, context: Context) -> None:
        """Explain how to ask."""
        await update.effective_message.reply_html(escape(HELP.format(username=context.bot.username)))

    async def topics(self, update: Update, context: Context) -> None:
        """Open the topic browser."""
        await update.effective_message.reply_html(escape(TOPICS_PROMPT), reply_markup=self._topics_keyboard())

    async def contact(self, update: Update, context: Context) -> None:
        """Show the SSI's contact details (the answer named in config)."""
        await self._answer_by_id(update, context, self.settings.contact_answer)

    async def source(self, update: Update, context: Context) -> None:
        """Say where the information comes from and its date."""
        await self._answer_by_id(update, context, self.settings.source_answer)

    async def reload(self, update: Update, context: Context) -> None:
        """Reload the data safely (admins only): on errors the current data keeps serving."""
        if await self._refused(update, "reload"):
            return
        problems = await asyncio.to_thread(self.engine.reload)
        await update.effective_message.reply_html(reload_report(self.engine, problems))

    async def stats(self, update: Update, context: Context) -> None:
        """Show the question counters (admins only)."""
        if await self._refused(update, "stats"):
            return
        stats = context.bot_data.setdefault(STATS, new_stats())
        await update.effective_message.reply_html(stats_text(stats, self.started))

    async def unknown_command(self, update: Update, context: Context) -> None:
        await update.effective_message.reply_html(escape(UNKNOWN_COMMAND))

    # -- messages ----------------------------------------------------------------------------
    async def question(self, update: Update, context: Context) -> None:
        """Answer a text message with the engine, in the chat's conversation."""
        message = update.effective_message
        await self._pace(message, context)
        try:
            await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        except TelegramError as exc:  # cosmetic: the answer matters, not the "typing…" hint
            log.info("No typing action in chat %s: %s", message.chat_id, exc)
        reply = self.engine.reply(_question_text(message, context.bot.username), self._conversation(context),
                                  channel=CHANNEL)
        stats = context.bot_data.setdefault(STATS, new_stats())
        stats[reply.status] = stats.get(reply.status, 0) + 1
        if reply.status == CLARIFY:
            context.chat_data[LAST_QUESTION] = reply.question
        quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await self._send(context, message.chat_id, reply, quote)

    async def not_text(self, update: Update, context: Context) -> None:
        await update.effective_message.reply_html(escape(NON_TEXT))

    async def inline(self, update: Update, context: Context) -> None:
        """Offer up to three answers as articles for `@bot question`."""
        query = update.inline_query
        results = self._articles(query.query.strip()) if query.query.strip() else []
        button = None if results else InlineQueryResultsButton(INLINE_START, start_parameter="inline")
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS, button=button)

    # -- buttons -----------------------------------------------------------------------------
    async def button(self, update: Update, context: Context) -> None:
        """Act on a pressed button; the query is always answered, so no spinner is left."""
        query = update.callback_query
        notice = None
        try:
            notice = await self._on_button(query, context)
        finally:
            await query.answer(notice)

    async def _on_button(self, query: CallbackQuery, context: Context) -> str | None:
        data = query.data or ""
        if query.message is None:  # a message sent through inline mode: none of ours has buttons
            return STALE_BUTTON
        if data == "n":
            return await self._none_of_these(query, context)
        if data == "t":
            return await self._edit(query, escape(TOPICS_PROMPT), self._topics_keyboard())
        if data.startswith("t:"):
            return await self._show_topic(query, data[2:])
        if data.startswith("q:"):
            return await self._show_answer(query, context, data[2:])
        intent = intent_from_data(self.engine.kb, data)
        if intent is None:
            return STALE_BUTTON
        await self._send(context, query.message.chat.id, self.engine.answer_intent(intent, self._conversation(context)))
        return None

    async def _none_of_these(self, query: CallbackQuery, context: Context) -> None:
        reply = self.engine.none_of_these(self._conversation(context))
        self.engine.log_refusal(context.chat_data.pop(LAST_QUESTION, ""), CHANNEL, "none_of_these")
        await self._send(context, query.message.chat.id, reply)

    async def _show_topic(self, query: CallbackQuery, index: str) -> str | None:
        topic = self._topic(index)
        if topic is None:
            return STALE_BUTTON
        rows = [(self.engine.kb.answers[a].title, f"q:{index}:{j}") for j, a in enumerate(topic.answers)]
        text = f"<b>{escape(topic.title)}</b>\n{escape(TOPIC_PROMPT)}"
        return await self._edit(query, text, _keyboard(rows + [(BACK_TO_TOPICS, "t")]))

    async def _show_answer(self, query: CallbackQuery, context: Context, arg: str) -> str | None:
        topic_index, _, answer_index = arg.partition(":")
        topic = self._topic(topic_index)
        if topic is None or not answer_index.isdigit() or int(answer_index) >= len(topic.answers):
            return STALE_BUTTON
        intent = self._intent_for_answer(topic.answers[int(answer_index)])
        if intent is None:
            return STALE_BUTTON
        reply = replace(self.engine.answer_intent(intent, self._conversation(context)), related=())
        first, *rest = render_reply(reply)  # curated answers fit one message; the rest follows if not
        back = _keyboard([(BACK_TO_QUESTIONS, f"t:{topic_index}"), (BACK_TO_TOPICS, "t")])
        notice = await self._edit(query, first, back)
        for chunk in rest:
            await context.bot.send_message(query.message.chat.id, chunk)
        return notice

    # -- errors ------------------------------------------------------------------------------
    async def error(self, update: object, context: Context) -> None:
        """Log a failure with its traceback; tell the user briefly when their update failed."""
        kind = next((t for t in ALLOWED_UPDATES if getattr(update, t, None)), "no update")
        chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else "-"
        log.error("Handling update %s (%s) in chat %s failed", getattr(update, "update_id", "-"), kind, chat,
                  exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None or isinstance(context.error, Forbidden):
            return
        try:
            await context.bot.send_message(update.effective_chat.id, escape(ERROR))
        except TelegramError as exc:
            log.warning("Could not tell chat about the failure either: %s", exc)

    # -- helpers -----------------------------------------------------------------------------
    async def _send(self, context: Context, chat_id: int, reply: Reply, quote: int | None = None) -> None:
        chunks = render_reply(reply)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            to = ReplyParameters(quote, allow_sending_without_reply=True) if quote and index == 0 else None
            await context.bot.send_message(chat_id, chunk, reply_parameters=to,
                                           reply_markup=reply_keyboard(self.engine.kb, reply) if last else None)

    async def _edit(self, query: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:  # a double tap asks for the same content again
            if "not modified" not in exc.message.lower():
                raise

    async def _answer_by_id(self, update: Update, context: Context, answer_id: str) -> None:
        intent = self._intent_for_answer(answer_id)
        if intent is None:
            log.warning("Answer %r (set in config.toml [telegram]) is not in the data", answer_id)
            await update.effective_message.reply_html(escape(NOT_AVAILABLE))
            return
        reply = replace(self.engine.answer_intent(intent, self._conversation(context)), related=())
        await self._send(context, update.effective_message.chat_id, reply)

    async def _pace(self, message: Message, context: Context) -> None:
        """Answer a user at most `flood_messages` times per `flood_seconds`: past that, wait (one notice per burst).

        Nothing is dropped: the chat's updates are handled one at a time (ChatLanes), so the
        waiting answers go out in order, at a pace Telegram accepts.
        """
        data = context.user_data if context.user_data is not None else context.chat_data
        window, limit = self.settings.flood_seconds, max(1, self.settings.flood_messages)
        now = time.time()
        answered = [t for t in data.get(RECENT, []) if now - t < window]
        if len(answered) >= limit:
            if now - data.get(PACED, 0.0) >= window:  # a new burst: say once why the answers slow down
                try:
                    await message.reply_html(escape(FLOOD))
                except TelegramError as exc:  # the answers matter more than the notice
                    log.warning("No flood notice in chat %s: %s", message.chat_id, exc)
            await asyncio.sleep(answered[-limit] + window - now)
            now = data[PACED] = time.time()
        data[RECENT] = [t for t in answered if now - t < window] + [now]

    def _articles(self, text: str) -> list[InlineQueryResultArticle]:
        reply = self.engine.reply(text, Conversation(), channel=INLINE_CHANNEL)
        intents = [reply.intent] if reply.status == ANSWERED and reply.intent else [s.intent for s in reply.suggestions]
        return [self._article(intent) for intent in intents[:INLINE_RESULTS]]

    def _article(self, intent: str) -> InlineQueryResultArticle:
        reply = replace(self.engine.answer_intent(intent, Conversation()), related=())
        result_id = intent if len(intent.encode()) <= 64 else hashlib.sha1(intent.encode()).hexdigest()
        return InlineQueryResultArticle(
            result_id, reply.title, InputTextMessageContent(render_reply(reply)[0], parse_mode=ParseMode.HTML),
            description=split_text(reply.text, 120)[0])

    def _topics_keyboard(self) -> InlineKeyboardMarkup:
        return _keyboard([(t.title, f"t:{i}") for i, t in enumerate(self._visible_topics())])

    def _visible_topics(self) -> list[Topic]:
        return [t for t in self.engine.kb.topics if t.id not in self.settings.hidden_topics]

    def _topic(self, index: str) -> Topic | None:
        topics = self._visible_topics()
        return topics[int(index)] if index.isdigit() and int(index) < len(topics) else None

    def _intent_for_answer(self, answer_id: str) -> str | None:
        return next((i.id for i in self.engine.kb.intents.values() if i.answer == answer_id), None)

    def _is_admin(self, update: Update) -> bool:
        return update.effective_user is not None and update.effective_user.id in self.settings.admin_ids

    async def _refused(self, update: Update, command: str) -> bool:
        """Refuse an admin command politely to anyone not in admin_ids, and log the attempt."""
        if self._is_admin(update):
            return False
        user = update.effective_user.id if update.effective_user else "-"
        log.warning("Refused /%s to user %s in chat %s: not in [telegram] admin_ids", command, user,
                    update.effective_chat.id if update.effective_chat else "-")
        await update.effective_message.reply_html(escape(ADMIN_ONLY))
        return True

    @staticmethod
    def _conversation(context: Context) -> Conversation:
        return context.chat_data.setdefault(CONVERSATION, Conversation())


# -- wiring ----------------------------------------------------------------------------------
class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (Telegram's flood limits, 429 retried after retry_after) that also
    retries network failures and 5xx answers a bounded number of times (SEND_RETRY_DELAYS).

    A 400 is never retried: the same request would fail again. Giving up is logged, then the
    error reaches the handler's caller (for updates: the central error handler, which logs it too).
    At most MAX_REQUESTS_IN_FLIGHT requests run at once: the others wait here, in order, rather
    than in httpx's connection pool, whose bookkeeping grows with the square of its queue.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight = asyncio.Semaphore(MAX_REQUESTS_IN_FLIGHT)

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        pauses = iter(SEND_RETRY_DELAYS)
        for attempt in itertools.count(1):
            try:
                async with self._in_flight:
                    return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as exc:
                if isinstance(exc, BadRequest) or endpoint in NO_RETRY:
                    raise
                chat, pause = data.get("chat_id", "-"), next(pauses, None)
                if pause is None:
                    log.error("%s to chat %s failed %d times, giving up: %s", endpoint, chat, attempt, exc)
                    raise
                log.warning("%s to chat %s failed (%s); retry %d in %.1f s", endpoint, chat, exc, attempt, pause)
                await asyncio.sleep(pause)


def _lane(update: object) -> int | None:
    """The chat whose updates must be handled in order (the user for inline queries)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class ChatLanes(BaseUpdateProcessor):
    """Handle the updates of different chats concurrently, and those of one chat one at a time, in order.

    PTB starts one task per update in arrival order and each runs straight to `lock.acquire()`;
    asyncio.Lock wakes its waiters first in, first out. So a slow send or a paced flood in one chat
    never holds up the others, and a chat's answers keep the order of its questions.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        lane = _lane(update)
        if lane is None:
            await coroutine
            return
        lock = self._locks.setdefault(lane, asyncio.Lock())
        self._queued[lane] = self._queued.get(lane, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._queued[lane] -= 1
            if not self._queued[lane]:  # forget idle chats
                del self._queued[lane], self._locks[lane]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class PrivatePicklePersistence(PicklePersistence):
    """PicklePersistence writing a file only its owner can read, atomically (a crash never leaves half a file).

    A file it cannot read (damaged, or from an incompatible version) does not stop the bot: it is
    kept beside, renamed `<name>.unreadable-<time>`, and the bot starts with empty conversations.
    """

    def _load_singlefile(self) -> None:
        try:
            super()._load_singlefile()
        except TypeError as exc:  # PTB's wrapper of every unpickling error
            kept = self.filepath.with_name(f"{self.filepath.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.filepath, kept)
            log.warning("Could not read %s (%s): kept it as %s and started with empty conversations",
                        self.filepath, exc.__cause__ or exc, kept.name)
            super()._load_singlefile()  # the file is gone: PTB starts empty

    def _dump_singlefile(self) -> None:
        final = self.filepath
        partial = final.with_name(f"{final.name}.tmp")
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # PTB's open("wb") keeps the mode
        self.filepath = partial
        try:
            super()._dump_singlefile()
        finally:
            self.filepath = final
        os.replace(partial, final)


def _file_url(base_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot (same for a local server)."""
    root = base_url[: -len("bot")] if base_url.endswith("/bot") else base_url.rstrip("/") + "/"
    return f"{root}file/bot"


def build_application(engine: Engine, config: Config, token: str,
                      rate_limiter: AIORateLimiter | None = None) -> Application:
    """Build the PTB Application: handlers, HTML defaults, rate limiter with retries, per-chat order, persistence.

    `rate_limiter` defaults to Telegram's limits (30 messages/s, 20/min per group); tests of
    the bot's own capacity against the fake server lift them.
    """
    settings = config.telegram
    path = config.paths.persistence
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.chmod(0o600)  # conversations are private (a file from an older version); new ones are written 0600
    faqbot = FaqBot(engine, settings)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .base_file_url(_file_url(settings.base_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(rate_limiter or RetryingRateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(ChatLanes())
        .persistence(PrivatePicklePersistence(path, update_interval=PERSISTENCE_SECONDS))
        .post_init(faqbot.post_init)
        .build()
    )
    faqbot.register(app)
    return app


def run(engine: Engine, config: Config, token: str, environ: Mapping[str, str] = os.environ) -> None:
    """Serve until SIGINT/SIGTERM: a webhook when `webhook_url` is set, else long polling."""
    settings = config.telegram
    webhook = webhook_options(settings, environ) if settings.webhook_url else None
    secrets = [token, webhook["secret_token"] if webhook else ""]
    configure_logging(config.log_level, secrets)
    os.umask(0o077)  # the persistence file and the unanswered log hold user data: owner only
    app = build_application(engine, config, token)
    common: dict[str, Any] = {"allowed_updates": ALLOWED_UPDATES, "bootstrap_retries": settings.startup_retries}
    try:
        if webhook:
            app.run_webhook(**webhook, **common)
        else:
            app.run_polling(**common)
    except InvalidToken:  # PTB's message quotes the token: never let it reach the terminal
        raise SetupError("Telegram rejected the token in TELEGRAM_BOT_TOKEN: check it with @BotFather "
                         "(/token)") from None
    except TelegramError as exc:  # the Bot API stayed unreachable for [telegram] startup_retries tries
        raise SetupError(f"could not start: {SecretRedactor(secrets).redact(str(exc))}") from None
