"""The console for maintainers and users: --debug and /debug, wrapped lines, /sujets by number, slow first answers."""

from __future__ import annotations

import io
import time

from bot.channels.console import chat, reply_text, slow_notice, topics_menu, wrap
from bot.dialogue import Conversation
from bot.engine import Engine


def run_chat(engine: Engine, session: str, **options: object) -> str:
    out = io.StringIO()
    assert chat(engine, stdin=io.StringIO(session), out=out, **options) == 0  # type: ignore[arg-type]
    return out.getvalue()


def test_debug_flag_shows_ranked_intents_scores_guard_and_decision(run_faqbot) -> None:
    result = run_faqbot("chat", "--debug", input="c koi la dci\nle budget de la DCI\n/quit\n")
    assert result.returncode == 0
    out = result.stdout
    assert "[debug] normalised: " in out
    assert "[debug] 1. dci.definition  score " in out and "guard ok" in out
    assert "guard refused (uncovered: budget)" in out
    assert "[debug] rule: " in out and "[debug] decision: answered dci.definition (confidence " in out
    assert "[debug] decision: fallback" in out


def test_debug_command_toggles(engine: Engine) -> None:
    out = run_chat(engine, "c koi la dci\n/debug\nc koi la dci\n/debug\nc koi la dci\n")
    assert out.count("[debug] decision: answered dci.definition") == 1
    assert "Mode débogage activé" in out and "Mode débogage arrêté." in out


def test_lines_are_wrapped_to_the_width_keeping_the_list_indentation(engine: Engine) -> None:
    out = run_chat(engine, "programme\n", width=40)
    assert max(len(line) for line in out.splitlines()) <= 40
    numbered = [n for n, line in enumerate(out.splitlines()) if line.startswith("  1. ")]
    assert numbered
    assert wrap("  1. " + "mot " * 20, 30).splitlines()[1].startswith("     mot")  # under the text, not the number


def test_output_to_a_pipe_is_not_wrapped(run_faqbot) -> None:
    result = run_faqbot("chat", input="Quels sont les programmes ?\n/quit\n")
    assert any(len(line) > 100 for line in result.stdout.splitlines())


def test_sujets_lists_numbered_questions_that_a_number_answers(engine: Engine) -> None:
    text, menu = topics_menu(engine)
    number = menu.index("nouakchott.chef") + 1
    assert f"  {number:>2}. {engine.kb.answer_of('nouakchott.chef').title}" in text
    out = run_chat(engine, f"/sujets\n{number}\n")
    assert out.split("Sujets et questions possibles")[1].count("Tristan Coudert") >= 1
    assert "Je n'ai pas cette information" not in out


def test_a_number_long_after_sujets_is_an_ordinary_message(engine: Engine) -> None:
    out = run_chat(engine, "/sujets\nc koi la dci\n3\n")
    after = out.split("La DCI (Direction de la coopération internationale)")[1]
    assert "Tristan Coudert" not in after


def test_a_slow_step_is_announced_once_and_a_fast_one_is_not() -> None:
    out = io.StringIO()
    with slow_notice(out, "lent", after=0.05):
        time.sleep(0.3)
    with slow_notice(out, "rapide", after=0.5):
        pass
    time.sleep(0.6)
    assert out.getvalue() == "lent\n"


def test_console_questions_are_logged_with_channel_console(run_faqbot, private_config) -> None:
    import json

    result = run_faqbot("chat", input="question témoin du canal console sur le budget\n/quit\n")
    assert result.returncode == 0
    log = private_config.parent / "var" / "unanswered.jsonl"
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    [entry] = [e for e in entries if e["question"] == "question témoin du canal console sur le budget"]
    assert entry["channel"] == "console"


def test_a_clarify_is_numbered_by_the_console_in_the_reply_language(engine: Engine) -> None:
    for language, intro in (("fr", "Vouliez-vous dire\u00a0:"), ("en", "Did you mean:")):
        conversation = Conversation(language_choice=language)
        reply = engine.reply("programme", conversation)
        lines = reply_text(reply).split("\n")
        assert lines[0].endswith(intro)
        assert lines[1:-1] == [f"  {n}. {s.title}" for n, s in enumerate(reply.suggestions, 1)]
        out_of_range = engine.reply("9", conversation)
        assert reply_text(out_of_range) == out_of_range.text  # « a number between 1 and n », without the list
