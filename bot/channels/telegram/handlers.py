"""The Telegram handlers around one shared engine: commands, questions, buttons, inline queries, errors.

Each chat's state (its `Conversation`) comes from the store and is saved with the update that
changed it (see transport.Dispatcher). Logs name chats, users and updates by id only.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from dataclasses import replace

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.channels.telegram import languages, render, texts
from bot.channels.telegram.render import escape
from bot.channels.telegram.store import Store
from bot.channels.telegram.transport import NotSure
from bot.config import TelegramSettings
from bot.dialogue import Conversation, parse_choice
from bot.engine import ANSWERED, CLARIFY, Engine
from bot.reply import Reply

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

CHANNEL, INLINE_CHANNEL = "telegram", "telegram-inline"
INLINE_RESULTS = 3  # answers offered for an inline query (`@bot question`)
INLINE_CACHE_SECONDS = 60  # how long Telegram may reuse our results for the same inline query
INLINE_ID_BYTES = 64  # Telegram's longest inline result id: a longer intent id is sent as its hash
INLINE_DESCRIPTION = 120  # characters of an inline result's description
TRACKED_SENDERS = 10_000  # past this many senders, the flood guard forgets those quiet for a whole window
BROWSER_KINDS = ("2m", "2t", "2q", "t", "t:", "q:")  # callback data prefixes of the /sujets browser's buttons
PUBLIC_COMMANDS = [BotCommand(name, description) for name, description in texts.PUBLIC_COMMANDS]
ADMIN_COMMANDS = [BotCommand(name, description) for name, description in texts.ADMIN_COMMANDS]


# -- group addressing -----------------------------------------------------------------------
def _mentions(message: Message, username: str) -> list[str]:
    """Return the @mentions of the bot in a message's text or caption."""
    entities = {**message.parse_entities([MessageEntityType.MENTION]),
                **message.parse_caption_entities([MessageEntityType.MENTION])}
    return [text for text in entities.values() if text.lower() == f"@{username}".lower()]


class AddressedToBot(filters.MessageFilter):
    """A group message meant for the bot: a reply to one of its messages, or an @mention of it."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        return bool(_mentions(message, bot.username))


def question_text(message: Message, username: str) -> str:
    text = message.text or ""
    for mention in _mentions(message, username):
        text = text.replace(mention, " ")
    # JSON may carry lone surrogates ("\ud800"); they are not text and no UTF-8 file or request can hold them.
    return text.encode("utf-8", "replace").decode("utf-8").strip()


class FaqBot:
    """The Telegram handlers around one shared engine."""

    def __init__(self, engine: Engine, settings: TelegramSettings, store: Store) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.started = time.time()
        self._recent: dict[int, deque[float]] = {}  # flood guard: each sender's last answer times
        self._paced: dict[int, float] = {}

    def register(self, app: Application) -> None:
        """Add every handler; within group 0 the first matching handler wins, so order matters."""
        new = filters.UpdateType.MESSAGE  # edited messages are ignored
        commands = {"start": self.start, "aide": self.help, "help": self.help, "sujets": self.topics,
                    "contact": self.contact, "source": self.source, "reload": self.reload, "stats": self.stats,
                    "langue": self.language, "language": self.language}
        # 1. Known commands, in private chats and groups (PTB skips /cmd@otherbot).
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=new))
        # 2. Buttons and inline queries carry no text message.
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(InlineQueryHandler(self.inline))
        # 3. Unknown commands get a hint in private only: in groups they may be for another bot.
        app.add_handler(MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, self.unknown_command))
        # 4. Questions: any text in private, only what is addressed to the bot in groups.
        addressed = filters.ChatType.PRIVATE | AddressedToBot()
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND & addressed, self.question))
        # 5. Photos, stickers, voice...: one polite line (service messages are not for us).
        app.add_handler(MessageHandler(new & ~filters.TEXT & ~filters.StatusUpdate.ALL & addressed, self.not_text))
        app.add_error_handler(self.error)

    async def post_init(self, app: Application) -> None:
        """Register the command menu (cosmetic: a failure is only logged)."""
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
        """Welcome the user and offer the topics (in Telegram's language of the user for a new chat)."""
        language = languages.hint(self.store.chat(update.effective_chat.id).conversation, update.effective_user)
        await update.effective_message.reply_html(escape(texts.text("WELCOME", language)),
                                                  reply_markup=self._topics_keyboard(language))

    async def help(self, update: Update, context: Context) -> None:
        """Explain how to ask."""
        help_text = texts.text("HELP", self._language(update)).format(username=context.bot.username)
        await update.effective_message.reply_html(escape(help_text))

    async def topics(self, update: Update, context: Context) -> None:
        """Open the topic browser."""
        language = self._language(update)
        await update.effective_message.reply_html(escape(texts.text("TOPICS_PROMPT", language)),
                                                  reply_markup=self._topics_keyboard(language))

    async def language(self, update: Update, context: Context) -> None:
        """Let the user choose the language of the answers (buttons; « /langue en » works too)."""
        text, markup = languages.command(self.store.chat(update.effective_chat.id).conversation, context.args or [])
        await update.effective_message.reply_html(escape(text), reply_markup=markup)

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
        await self._typing(context, update.effective_message.chat_id)  # a reload takes seconds
        problems = await asyncio.to_thread(self.engine.reload)
        await update.effective_message.reply_html(render.reload_report(self.engine, problems))

    async def stats(self, update: Update, context: Context) -> None:
        """Show the question counters (admins only, in private: a group would see them too)."""
        if await self._refused(update, "stats"):
            return
        if update.effective_chat.type != ChatType.PRIVATE:
            await update.effective_message.reply_html(escape(texts.PRIVATE_ONLY))
            return
        await update.effective_message.reply_html(render.stats_text(self.store.stats, self.started))

    async def unknown_command(self, update: Update, context: Context) -> None:
        await update.effective_message.reply_html(escape(texts.text("UNKNOWN_COMMAND", self._language(update))))

    # -- messages ----------------------------------------------------------------------------
    async def question(self, update: Update, context: Context) -> None:
        """Answer a text message with the engine, in the chat's conversation.

        No "typing…" action: an answer takes about a millisecond, and each action would cost one
        of the 30 requests a second Telegram allows for answers.
        """
        message = update.effective_message
        await self._pace(message)
        state = self.store.chat(message.chat_id)
        reply = self.engine.reply(question_text(message, context.bot.username), state.conversation, channel=CHANNEL)
        self.store.count(reply.status)
        if reply.status == CLARIFY and not isinstance(parse_choice(reply.question), int):
            state.last_question = reply.question  # a number out of range is no question
        quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
        await self._send(context, message.chat_id, reply, quote)

    async def not_text(self, update: Update, context: Context) -> None:
        await update.effective_message.reply_html(escape(texts.text("NON_TEXT", self._language(update))))

    async def inline(self, update: Update, context: Context) -> None:
        """Offer up to three answers as articles for `@bot question`."""
        query = update.inline_query
        results = self._articles(query.query.strip()) if query.query.strip() else []
        button = None if results else InlineQueryResultsButton(texts.INLINE_START, start_parameter="inline")
        try:
            await query.answer(results, cache_time=INLINE_CACHE_SECONDS, button=button)
        except BadRequest as exc:  # the user typed on: this query expired, a newer one is coming
            log.info("Inline query %s not answered: %s", query.id, exc)

    # -- buttons -----------------------------------------------------------------------------
    async def button(self, update: Update, context: Context) -> None:
        """Act on a pressed button; the query is always answered, so no spinner is left."""
        query = update.callback_query
        notice = None
        try:
            notice = await self._on_button(query, context)
        finally:
            try:
                await query.answer(notice)
            except BadRequest as exc:  # pressed long ago (or answered already): the action itself was done
                log.info("Button press %s not acknowledged: %s", query.id, exc)

    async def _on_button(self, query: CallbackQuery, context: Context) -> str | None:
        data = query.data or ""
        if query.message is None:  # a message sent through inline mode: none of ours has buttons
            return texts.STALE_BUTTON
        if data.startswith(languages.DATA):
            chosen = languages.choose(self.store.chat(query.message.chat.id).conversation, data)
            await self._show(query, context, escape(chosen), None)
            return None
        target = render.decode(data, self.engine.kb, self.settings.hidden_topics)
        if target is None:
            await self._stale(query, context, data)
            return texts.STALE_BUTTON
        state = self.store.chat(query.message.chat.id)
        language = languages.current(state.conversation)
        if target.kind == render.NONE:
            reply = self.engine.none_of_these(state.conversation)
            self.engine.log_refusal(state.last_question, CHANNEL, "none_of_these")
            state.last_question = ""
            await self._send(context, query.message.chat.id, reply)
        elif target.kind == render.MENU:
            await self._show(query, context, escape(texts.text("TOPICS_PROMPT", language)),
                             self._topics_keyboard(language))
        elif target.kind == render.TOPIC:
            topic = next(t for t in self.engine.kb.topics if t.id == target.ids[0])
            text = f"<b>{escape(topic.title_in(language))}</b>\n{escape(texts.text('TOPIC_PROMPT', language))}"
            await self._show(query, context, text, render.topic_keyboard(self.engine.kb, topic, language))
        elif target.kind == render.BROWSE:
            topic = next(t for t in self.engine.kb.topics if t.id == target.ids[0])
            intent = render.intent_for_answer(self.engine.kb, target.ids[1])
            reply = replace(self.engine.answer_intent(intent, state.conversation), related=())
            first, *rest = render.render_reply(reply)  # curated answers fit one message; the rest follows if not
            await self._show(query, context, first, render.browse_keyboard(topic, language))
            for chunk in rest:
                await context.bot.send_message(query.message.chat.id, chunk)
        else:
            reply = self.engine.answer_intent(target.ids[0], state.conversation)
            await self._send(context, query.message.chat.id, reply)
        return None

    async def _stale(self, query: CallbackQuery, context: Context, data: str) -> None:
        """A button whose target is gone: show the current topics (in the browser's own message if it was one)."""
        log.info("Stale button in chat %s", query.message.chat.id)
        text, markup = escape(texts.STALE_MENU), self._topics_keyboard()
        if data.startswith(BROWSER_KINDS):
            await self._show(query, context, text, markup)
        else:  # under an answer: keep the answer, offer the menu below it
            await context.bot.send_message(query.message.chat.id, text, reply_markup=markup)

    # -- errors ------------------------------------------------------------------------------
    async def error(self, update: object, context: Context) -> None:
        """Log a failure (ids only); tell the user briefly when their update surely got no answer."""
        kind = next((t for t in ("message", "callback_query", "inline_query") if getattr(update, t, None)),
                    "no update")
        chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else "-"
        number = getattr(update, "update_id", "-")
        if isinstance(context.error, NotSure):  # already logged; an apology could follow a delivered answer
            log.warning("Update %s (%s) in chat %s: its answer may not have arrived", number, kind, chat)
            return
        log.error("Handling update %s (%s) in chat %s failed", number, kind, chat, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None or isinstance(context.error, Forbidden):
            return
        try:
            await context.bot.send_message(update.effective_chat.id, escape(texts.ERROR))
        except TelegramError as exc:
            log.warning("Could not tell chat %s about the failure either: %s", chat, exc)

    # -- helpers -----------------------------------------------------------------------------
    async def _send(self, context: Context, chat_id: int, reply: Reply, quote: int | None = None) -> None:
        chunks = render.render_reply(reply)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            to = ReplyParameters(quote, allow_sending_without_reply=True) if quote and index == 0 else None
            await context.bot.send_message(chat_id, chunk, reply_parameters=to,
                                           reply_markup=render.reply_keyboard(reply) if last else None)

    async def _show(self, query: CallbackQuery, context: Context, text: str,
                    markup: InlineKeyboardMarkup | None) -> None:
        """Show `text` in the pressed button's message; in a new message if that one cannot be edited."""
        message = query.message
        if message.is_accessible:
            try:
                await query.edit_message_text(text, reply_markup=markup)
                return
            except BadRequest as exc:
                if "not modified" in exc.message.lower():  # a double tap asks for the same content again
                    return
                log.info("Could not edit message %s in chat %s (%s): sending a new one",
                         message.message_id, message.chat.id, exc)
        await context.bot.send_message(message.chat.id, text, reply_markup=markup)

    async def _typing(self, context: Context, chat_id: int) -> None:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:  # cosmetic
            log.info("No typing action in chat %s: %s", chat_id, exc)

    async def _answer_by_id(self, update: Update, context: Context, answer_id: str) -> None:
        intent = render.intent_for_answer(self.engine.kb, answer_id)
        if intent is None:
            log.warning("Answer %r (set in config.toml [telegram]) is not in the data", answer_id)
            await update.effective_message.reply_html(escape(texts.NOT_AVAILABLE))
            return
        chat_id = update.effective_message.chat_id
        reply = replace(self.engine.answer_intent(intent, self.store.chat(chat_id).conversation), related=())
        await self._send(context, chat_id, reply)

    async def _pace(self, message: Message) -> None:
        """Answer a sender at most `flood_messages` times per `flood_seconds`: past that, wait (one notice per burst).

        Nothing is dropped: the chat's updates are handled one at a time (transport.Dispatcher),
        so the waiting answers go out in order, at a pace Telegram accepts.
        """
        sender = message.from_user.id if message.from_user is not None else message.chat_id
        window, limit = self.settings.flood_seconds, max(1, self.settings.flood_messages)
        now = time.time()
        answered = self._recent.setdefault(sender, deque(maxlen=limit))
        while answered and now - answered[0] >= window:
            answered.popleft()
        if len(answered) >= limit:
            if now - self._paced.get(sender, 0.0) >= window:  # a new burst: say once why the answers slow down
                try:
                    await message.reply_html(escape(texts.FLOOD))
                except TelegramError as exc:  # the answers matter more than the notice
                    log.warning("No flood notice in chat %s: %s", message.chat_id, exc)
            await asyncio.sleep(answered[0] + window - now)
            now = self._paced[sender] = time.time()
        answered.append(now)
        if len(self._recent) > TRACKED_SENDERS:
            for key in [k for k, times in self._recent.items() if not times or now - times[-1] >= window]:
                self._recent.pop(key, None)
                self._paced.pop(key, None)

    def _articles(self, text: str) -> list[InlineQueryResultArticle]:
        reply = self.engine.reply(text, Conversation(), channel=INLINE_CHANNEL)
        intents = [reply.intent] if reply.status == ANSWERED and reply.intent else [s.intent for s in reply.suggestions]
        return [self._article(intent, reply.language) for intent in intents[:INLINE_RESULTS]]

    def _article(self, intent: str, language: str) -> InlineQueryResultArticle:
        reply = replace(self.engine.answer_intent(intent, Conversation(), language=language), related=())
        result_id = intent if len(intent.encode()) <= INLINE_ID_BYTES else hashlib.sha1(intent.encode()).hexdigest()
        return InlineQueryResultArticle(
            result_id, reply.title,
            InputTextMessageContent(render.render_reply(reply)[0], parse_mode=ParseMode.HTML),
            description=render.split_text(reply.text, INLINE_DESCRIPTION)[0])

    def _topics_keyboard(self, language: str = "fr") -> InlineKeyboardMarkup:
        return render.topics_keyboard(self.engine.kb, self.settings.hidden_topics, language)

    def _language(self, update: Update) -> str:
        """Return the language of the update's chat."""
        return languages.current(self.store.chat(update.effective_chat.id).conversation)

    def _is_admin(self, update: Update) -> bool:
        return update.effective_user is not None and update.effective_user.id in self.settings.admin_ids

    async def _refused(self, update: Update, command: str) -> bool:
        """Refuse an admin command politely to anyone not in admin_ids, and log the attempt."""
        if self._is_admin(update):
            return False
        user = update.effective_user.id if update.effective_user else "-"
        log.warning("Refused /%s to user %s in chat %s: not in [telegram] admin_ids", command, user,
                    update.effective_chat.id if update.effective_chat else "-")
        await update.effective_message.reply_html(escape(texts.ADMIN_ONLY))
        return True
