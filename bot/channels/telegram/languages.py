"""The chat's language on Telegram: /langue and its buttons, and the /start hint from Telegram.

The choice lives in the chat's Conversation (persisted with it): `language_choice` is what the
user picked ("" = each message's own language), `language` the language of the last reply.
Telegram's `language_code` only sets the language of /start for a chat that has none yet: what the
user then writes decides.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, User

from bot.dialogue import Conversation
from bot.language import DEFAULT_LANGUAGE, LANGUAGES
from bot.messages import LANGUAGE_NAMES, message

DATA = "lang:"  # callback data of the language buttons: "lang:en", "lang:auto"
AUTO = "auto"


def current(conversation: Conversation) -> str:
    """Return the language to speak in this chat now."""
    return conversation.language_choice or conversation.language or DEFAULT_LANGUAGE


def hint(conversation: Conversation, user: User | None) -> str:
    """Adopt Telegram's language of the user for a chat that has none yet; return the chat's language."""
    code = ((user.language_code if user is not None else None) or "").split("-")[0].lower()
    if not conversation.language and not conversation.language_choice and code in LANGUAGES:
        conversation.language = code
    return current(conversation)


def keyboard(language: str) -> InlineKeyboardMarkup:
    """One button per language, each named in its own language, then "automatic"."""
    rows = [(LANGUAGE_NAMES[code], DATA + code) for code in LANGUAGES]
    rows.append((message("language_auto_button", language), DATA + AUTO))
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)] for label, data in rows])


def command(conversation: Conversation, args: list[str]) -> tuple[str, InlineKeyboardMarkup | None]:
    """Answer /langue: set the language given (« /langue en »), or offer the buttons."""
    if args and args[0].lower() in (*LANGUAGES, AUTO):
        return choose(conversation, DATA + args[0].lower()), None
    language = current(conversation)
    return message("language_prompt", language), keyboard(language)


def choose(conversation: Conversation, data: str) -> str:
    """Apply a language button ("lang:ar", "lang:auto") and return the confirmation to show."""
    code = data.removeprefix(DATA)
    if code == AUTO:
        conversation.language_choice = ""
        return message("language_auto", current(conversation))
    code = code if code in LANGUAGES else DEFAULT_LANGUAGE
    conversation.language_choice = conversation.language = code
    return message("language_set", code)
