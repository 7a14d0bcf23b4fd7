from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest

from bot.cli import build_parser

COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def test_ask_answers_one_question(run_faqbot) -> None:
    result = run_faqbot("ask", "Qu'est-ce que la DCI ?")
    assert result.returncode == 0
    assert result.stdout.startswith("La DCI (Direction de la coopération internationale)")
    assert result.stderr == ""


def test_ask_json_contract_one_object_per_line(run_faqbot) -> None:
    result = run_faqbot("ask", "--json", input="c koi la dci\nle budget de la DCI\nprogramme\n")
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["status"] for o in objects] == ["answered", "fallback", "clarify"]
    for obj in objects:
        assert set(obj) == {"question", "status", "intent", "confidence", "answer", "suggestions", "source",
                            "language"}
        assert 0.0 <= obj["confidence"] <= 1.0
    assert objects[0]["intent"] == "dci.definition" and objects[0]["source"]
    assert objects[2]["suggestions"] and set(objects[2]["suggestions"][0]) == {"intent", "title"}


def test_ask_lines_are_separate_conversations_unless_dialog(run_faqbot) -> None:
    lines = "qui dirige le SSI de Nouakchott ?\net son adresse mail ?\n"
    alone = [json.loads(x) for x in run_faqbot("ask", "--json", input=lines).stdout.splitlines()]
    dialog = [json.loads(x) for x in run_faqbot("ask", "--json", "--dialog", input=lines).stdout.splitlines()]
    assert dialog[1]["intent"] == "nouakchott.courriel"
    assert alone[0]["intent"] == dialog[0]["intent"] == "nouakchott.chef"


def test_invalid_utf8_on_stdin_is_reported_and_skipped(run_faqbot) -> None:
    result = run_faqbot("ask", "--json", input=b"\xff\xfe bad\nc koi la dci\n")
    assert result.returncode == 0
    assert b"line 1 is not valid UTF-8" in result.stderr
    assert json.loads(result.stdout.decode().strip())["intent"] == "dci.definition"


def test_missing_config_is_one_clear_line(run_faqbot, tmp_path) -> None:
    result = run_faqbot("ask", "--config", str(tmp_path / "nope.toml"), "dci")
    assert result.returncode == 1
    assert "configuration file not found" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(run_faqbot, command: str) -> None:
    result = run_faqbot(command, "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout
    assert "--config" in result.stdout


def test_commands_run_by_the_tests_never_write_into_the_repository(run_faqbot, private_config: Path) -> None:
    question = f"question témoin {uuid4().hex} sur le budget"  # falls back, so it is logged
    result = run_faqbot("ask", "--json", question)
    assert json.loads(result.stdout)["status"] == "fallback"
    repo_log = Path(__file__).resolve().parent.parent / "var" / "unanswered.jsonl"
    assert not repo_log.exists() or question not in repo_log.read_text(encoding="utf-8", errors="replace")
    private_log = private_config.parent / "var" / "unanswered.jsonl"
    assert question in private_log.read_text(encoding="utf-8")
