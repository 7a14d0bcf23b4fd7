"""The console front end: `faqbot chat` (interactive) and `faqbot ask` (one-shot, scripts)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.dialogue import Conversation
from bot.engine import Engine, Reply
from bot.messages import message
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
    "Commandes : /sujets (sujets et exemples), /aide, /reload (recharger les données), /quit."
)
GOODBYE = french_typography("Au revoir !")
PROMPT = "> "
HISTORY_FILE = Path.home() / ".faqbot_history"


def topics_text(engine: Engine) -> str:
    """List the topics with their questions, as /sujets shows them."""
    lines = ["Sujets et questions possibles :"]
    for topic in engine.kb.topics:
        lines.append(f"\n{topic.title}")
        lines.extend(f"  - {engine.kb.answers[a].title}" for a in topic.answers)
    return french_typography("\n".join(lines))


def reload_text(engine: Engine) -> str:
    """Reload the data and say how it went."""
    problems = engine.reload()
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return french_typography(f"Données rechargées : {len(engine.kb.intents)} intentions.")
    lines = [f"Rechargement refusé, les anciennes données restent en service ({len(errors)} erreur(s)) :"]
    return french_typography("\n".join(lines + [f"  {p}" for p in errors[:20]]))


def ask(engine: Engine, questions: Iterable[str], out: TextIO, as_json: bool, dialog: bool,
        language: str = "") -> int:
    """Answer each question; one conversation for all of them when `dialog`; in `language` if given."""
    shared = Conversation(language_choice=language)
    for question in questions:
        reply = engine.reply(question, shared if dialog else Conversation(language_choice=language))
        _print_reply(reply, out, as_json)
    return 0


def _print_reply(reply: Reply, out: TextIO, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(reply.text + "\n\n")
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


def chat(engine: Engine, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, language: str = "") -> int:
    """Run the interactive console until /quit, Ctrl-D or Ctrl-C."""
    interactive = stdin.isatty()
    if interactive:
        _enable_line_editing()
    out.write(WELCOME + "\n\n")
    conversation = Conversation(language_choice=language)
    commands = {"/langue": lambda: choose_language(conversation, line),
                "/language": lambda: choose_language(conversation, line),
                "/aide": lambda: HELP, "/help": lambda: HELP, "/sujets": lambda: topics_text(engine),
                "/reload": lambda: reload_text(engine)}
    while True:
        try:
            line = input(PROMPT) if interactive else _read_line(stdin, out)
        except (EOFError, KeyboardInterrupt):
            out.write("\n" + GOODBYE + "\n")
            return 0
        command = line.strip().split(" ", 1)[0].lower()
        if command in ("/quit", "/exit", "/q"):
            out.write(GOODBYE + "\n")
            return 0
        if command in commands:
            out.write(commands[command]() + "\n\n")
        elif command.startswith("/"):
            out.write(french_typography(f"Commande inconnue : {command}. Tapez /aide.") + "\n\n")
        else:
            _print_reply(engine.reply(line, conversation), out, as_json=False)
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
