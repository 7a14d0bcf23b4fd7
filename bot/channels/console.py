"""The console front end: `faqbot chat` (interactive) and `faqbot ask` (one-shot, scripts)."""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from bot.decision import CLARIFY, FALLBACK
from bot.dialogue import Conversation
from bot.engine import Engine
from bot.messages import message
from bot.reply import Reply
from bot.text import french_typography

WELCOME = french_typography(
    "Bonjour ! Je réponds à vos questions sur la DCI, les attachés de sécurité intérieure (ASI) "
    "et le service de sécurité intérieure (SSI) de Nouakchott, d'après une page de l'ambassade "
    "de France en Mauritanie du 05/11/2015.\n"
    "Tapez votre question, /sujets pour voir les sujets, /aide pour l'aide, /quit pour sortir."
)
HELP = french_typography(
    "Posez votre question en français, même avec des fautes ou sans accents, par exemple :\n"
    "  « c'est quoi la DCI ? », « qui dirige le SSI de Nouakchott ? », « et son mail ? »\n"
    "Quand je propose une liste numérotée, tapez le numéro de votre choix.\n"
    "Commandes : /sujets (sujets et questions, à choisir par leur numéro), /aide, /reload (recharger les "
    "données), /debug (pourquoi cette réponse), /quit."
)
GOODBYE = french_typography("Au revoir !")
PROMPT = "> "
CHANNEL = "console"  # the channel the unanswered log records
SLOW_SECONDS = 0.5  # a step taking longer than this is announced (PREPARING)
PREPARING = french_typography("Un instant : je prépare les données (première question après une modification)…")
DEBUG_ON = french_typography("Mode débogage activé : intentions classées, scores, garde et décision. "
                             "/debug pour l'arrêter.")
DEBUG_OFF = french_typography("Mode débogage arrêté.")
HISTORY_FILE = Path.home() / ".faqbot_history"
DEBUG_CANDIDATES = 5  # ranked intents /debug shows
RELOAD_ERRORS_SHOWN = 20  # a refused /reload lists at most this many errors


def topics_menu(engine: Engine) -> tuple[str, list[str]]:
    """Return the /sujets text, every question numbered, and the intents in the order of their numbers."""
    kb = engine.kb
    lines = ["Sujets et questions possibles (tapez un numéro pour avoir la réponse) :"]
    menu: list[str] = []
    for topic, intents in kb.topic_intents.items():
        if intents:
            lines.append(f"\n{topic.title}")
        for intent in intents:
            menu.append(intent)
            lines.append(f"  {len(menu):>2}. {kb.answer_of(intent).title}")
    return french_typography("\n".join(lines)), menu


def topics_text(engine: Engine) -> str:
    """List the topics with their questions, as /sujets shows them."""
    return topics_menu(engine)[0]


def wrap(text: str, width: int) -> str:
    """Wrap each line of `text` to `width` columns, keeping its indentation ("  1. ...") for what follows."""
    if width <= 0:
        return text
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = " " * (len(line) - len(stripped))
        marker = re.match(r"(\d+\.|-|•)\s", stripped)
        hanging = indent + " " * (marker.end() if marker else 0)
        out.append(textwrap.fill(line, width, subsequent_indent=hanging, break_long_words=False,
                                 break_on_hyphens=False) if len(line) > width else line)
    return "\n".join(out)


@contextmanager
def slow_notice(out: TextIO, text: str = "", after: float = SLOW_SECONDS, enabled: bool = True) -> Iterator[None]:
    """Say `text` if what runs inside takes longer than `after` seconds (a first answer after a data change).

    Only for a person at a terminal (`enabled`): scripts reading the output get nothing extra.
    """
    if not enabled:
        yield
        return
    timer = threading.Timer(after, lambda: (out.write((text or PREPARING) + "\n"), out.flush()))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def debug_text(reply: Reply, top: int = DEBUG_CANDIDATES) -> str:
    """Show why the engine replied so: ranked intents, scores, guard verdicts, rule and decision."""
    e = reply.explanation
    lines = [f"[debug] normalised: {e.normalized or '-'}"]
    for n, c in enumerate(e.candidates[:top], 1):
        verdict = "guard ok" if c.guard.passed else "guard refused"
        if c.guard.uncovered:
            verdict += f" (uncovered: {', '.join(c.guard.uncovered)})"
        lines.append(f"[debug] {n}. {c.intent}  score {c.score:.3f}  {verdict}")
    lines.append(f"[debug] rule: {e.rule or '-'}")
    decided = f"{reply.status} {reply.intent}" if reply.intent else reply.status
    lines.append(f"[debug] decision: {decided} (confidence {reply.confidence:.2f})")
    return "\n".join(lines)


def reload_text(engine: Engine) -> str:
    """Reload the data and say how it went."""
    problems = engine.reload()
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return french_typography(f"Données rechargées : {len(engine.kb.intents)} intentions.")
    lines = [f"Rechargement refusé, les anciennes données restent en service ({len(errors)} erreur(s)) :"]
    return french_typography("\n".join(lines + [f"  {p}" for p in errors[:RELOAD_ERRORS_SHOWN]]))


def reply_text(reply: Reply) -> str:
    """Return what the console shows for `reply` (and `faqbot ask --json` gives as its `answer`).

    The engine's text, but for a clarify offering choices: the catalogue's intro, then one
    numbered line per suggestion (« 1. » for the first: the number to type), then its outro, in
    the reply's language; and for a fallback about a subject, the questions it offers on it.
    """
    if reply.status == FALLBACK and reply.related:  # what the data has on the subject asked about
        return "\n".join([reply.text, message("see_also", reply.language), *(f"  • {s.title}" for s in reply.related)])
    if reply.status != CLARIFY or reply.text:
        return reply.text
    choices = [f"  {n}. {s.title}" for n, s in enumerate(reply.suggestions, 1)]
    return "\n".join([message("clarify_intro", reply.language), *choices, message("clarify_outro", reply.language)])


def ask(engine: Engine, questions: Iterable[str], out: TextIO, as_json: bool, dialog: bool,
        language: str = "", render: Callable[[Reply, str], str] | None = None) -> int:
    """Answer each question; one conversation for all of them when `dialog`; in `language` if given.

    `render` turns each reply and the text the console shows for it into the text to print
    (`faqbot ask --explain`); by default that text is printed.
    """
    shared = Conversation(language_choice=language)
    for question in questions:
        reply = engine.reply(question, shared if dialog else Conversation(language_choice=language), channel=CHANNEL)
        if render is None:
            _print_reply(reply, out, as_json)
        else:
            out.write(render(reply, reply_text(reply)))
            out.flush()
    return 0


def _print_reply(reply: Reply, out: TextIO, as_json: bool, width: int = 0) -> None:
    text = reply_text(reply)
    if as_json:
        out.write(json.dumps(reply.to_json(text), ensure_ascii=False) + "\n")
    else:
        out.write(wrap(text, width) + "\n\n")
    out.flush()


def _enable_line_editing() -> None:
    """Give the prompt line editing and a persistent history when a terminal is attached."""
    try:
        import readline
    except ImportError:  # not available on every platform; the prompt still works
        return
    try:
        readline.read_history_file(HISTORY_FILE)
    except OSError:
        pass
    import atexit

    def save() -> None:
        try:
            readline.write_history_file(HISTORY_FILE)
        except OSError:
            pass

    atexit.register(save)


def chat(engine: Engine, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, language: str = "",
         debug: bool = False, width: int | None = None) -> int:
    """Run the interactive console until /quit, Ctrl-D or Ctrl-C.

    Lines are wrapped to `width` (the terminal's when output is a terminal; not wrapped otherwise).
    """
    interactive = stdin.isatty()
    if interactive:
        _enable_line_editing()
    if width is None:
        width = shutil.get_terminal_size().columns - 1 if out.isatty() else 0
    out.write(wrap(WELCOME, width) + "\n\n")
    conversation = Conversation(language_choice=language)
    state: dict[str, Any] = {"debug": debug, "menu": []}  # the menu: intents /sujets just numbered

    def show_topics() -> str:
        text, state["menu"] = topics_menu(engine)
        return text

    def toggle_debug() -> str:
        state["debug"] = not state["debug"]
        return DEBUG_ON if state["debug"] else DEBUG_OFF

    def reload() -> str:
        with slow_notice(out, enabled=interactive):
            return reload_text(engine)

    commands = {"/langue": lambda: choose_language(conversation, line),
                "/language": lambda: choose_language(conversation, line),
                "/aide": lambda: HELP, "/help": lambda: HELP, "/sujets": show_topics, "/debug": toggle_debug,
                "/reload": reload}
    while True:
        try:
            line = input(PROMPT) if interactive else _read_line(stdin, out)
        except (EOFError, KeyboardInterrupt):
            out.write("\n" + GOODBYE + "\n")
            return 0
        command = line.strip().split(" ", 1)[0].lower()
        menu, state["menu"] = state["menu"], []
        if command in ("/quit", "/exit", "/q"):
            out.write(GOODBYE + "\n")
            return 0
        if command in commands:
            out.write(wrap(commands[command](), width) + "\n\n")
        elif command.startswith("/"):
            out.write(french_typography(f"Commande inconnue : {command}. Tapez /aide.") + "\n\n")
        else:
            with slow_notice(out, enabled=interactive):
                if menu and line.strip().isdigit() and 1 <= int(line) <= len(menu):
                    reply = engine.answer_intent(menu[int(line) - 1], conversation)
                else:
                    reply = engine.reply(line, conversation, channel=CHANNEL)
            if state["debug"]:
                out.write(wrap(debug_text(reply), width) + "\n")
            _print_reply(reply, out, as_json=False, width=width)
        out.flush()


def choose_language(conversation: Conversation, line: str) -> str:
    """Set the conversation's language from « /langue en » (fr, en, ar or auto) and say so."""
    words = line.split()
    code = words[1].lower() if len(words) > 1 else ""
    if code not in ("fr", "en", "ar", "auto"):
        current = conversation.language_choice or conversation.language or "fr"
        return message("language_prompt", current) + " /langue fr | en | ar | auto"
    conversation.language_choice = "" if code == "auto" else code
    if code == "auto":
        return message("language_auto", conversation.language or "fr")
    conversation.language = code
    return message("language_set", code)


def _read_line(stdin: TextIO, out: TextIO) -> str:
    out.write(PROMPT)
    out.flush()
    line = stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
