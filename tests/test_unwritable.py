"""An unwritable var/ or .cache/ never stops the bot, and is said once, clearly."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from bot.unanswered import UnansweredLog


def test_an_unwritable_log_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "var").write_text("a file where a folder should be", encoding="utf-8")
    log = UnansweredLog(tmp_path / "var" / "unanswered.jsonl")
    with caplog.at_level(logging.WARNING, logger="faqbot"):
        log.record("console", "le budget de la DCI", "fallback", [])
        log.record("console", "le budget du SSI", "fallback", [])
    [record] = caplog.records
    assert "cannot write the unanswered log" in record.getMessage()
    assert "clarify/fallback questions are not recorded" in record.getMessage()


def test_the_cli_says_once_that_var_and_cache_are_not_writable(run_faqbot, private_config: Path,
                                                                tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    text = private_config.read_text(encoding="utf-8")
    for key, target in (("cache", blocker / ".cache"), ("unanswered_log", blocker / "unanswered.jsonl")):
        text = re.sub(rf'(?m)^{key}\s*=\s*"[^"]*"', f"{key} = {json.dumps(str(target))}", text)
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    result = run_faqbot("ask", "--config", str(config), input="le budget de la DCI\nle budget du SSI\n", timeout=120)
    assert result.returncode == 0
    assert result.stdout.count("Je n'ai pas cette information") == 2  # it still answers
    assert result.stderr.count("cannot write the unanswered log") == 1
    assert result.stderr.count("cannot write the index cache") == 1
    assert "Traceback" not in result.stderr
