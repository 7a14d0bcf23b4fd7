"""config.toml is validated in one place, on every command: one `path: section.key: problem` line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "config.toml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(("old", "new", "says"), [
    ("[decision]", "[decisions]", "decisions: unknown section [decisions]; did you mean 'decision'?"),
    ("[logging]", "[loging]", "loging: unknown section [loging]; did you mean 'logging'?"),
    ('level = "WARNING"', 'level = "LOUD"', "logging.level: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("clarify_threshold = ", "clarify_threshold = 6 #", "decision.clarify_threshold: must be between 0 and 1, got 6"),
    ("max_suggestions = 3", "max_suggestions = 0", "decision.max_suggestions: must be above 0, got 0"),
    ("min_examples = 8", 'min_examples = "huit"', "maintenance.min_examples: must be a whole number, got 'huit'"),
    ("char_ngram_min = 3", "char_ngram_min = 7", "matcher.char_ngram_min: must not exceed matcher.char_ngram_max"),
    ("near_duplicate_score = 92", "near_duplicate_score = 920", "must be between 0 and 100, got 920"),
    ("webhook_port = 8443", "webhook_port = 99999", "telegram.webhook_port: must be between 1 and 65535"),
    ("context_ttl_seconds = 600", "context_ttl_secs = 600", "dialogue.context_ttl_secs: unknown key in [dialogue]; "
                                                             "did you mean 'context_ttl_seconds'?"),
])
def test_a_wrong_setting_is_one_clear_line(tmp_path: Path, old: str, new: str, says: str) -> None:
    path = config_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [line] = str(caught.value).splitlines()
    assert line.startswith(f"{path}: ") and says in line


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = config_with(tmp_path, "[decision]", '[decisions]\n[logging2]\n')
    text = path.read_text(encoding="utf-8").replace('level = "WARNING"', 'level = "LOUD"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(str(caught.value).splitlines()) == 3


def test_settings_in_the_wrong_order_are_refused(tmp_path: Path) -> None:
    path = config_with(tmp_path, "char_ngram_min = ", "char_ngram_min = 9 #")
    with pytest.raises(ConfigError, match="matcher.char_ngram_min: must not exceed matcher.char_ngram_max"):
        load_config(path)


@pytest.mark.parametrize("command", ["check", "ask", "telegram"])
def test_every_command_refuses_a_bad_log_level_without_traceback(run_faqbot, tmp_path: Path, command: str) -> None:
    path = config_with(tmp_path, 'level = "WARNING"', 'level = "LOUD"')
    result = run_faqbot(command, "--config", str(path), *(["dci"] if command == "ask" else []))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {path}: logging.level: must be one of")
    assert "Traceback" not in result.stderr


def test_the_shipped_config_is_valid() -> None:
    config = load_config(REPO / "config.toml")
    assert config.log_level == "WARNING"


def test_a_missing_default_config_explains_the_non_editable_install(monkeypatch, tmp_path: Path) -> None:
    missing = tmp_path / "site-packages" / "config.toml"
    monkeypatch.setattr("bot.config.DEFAULT_CONFIG", missing)
    monkeypatch.delenv("FAQBOT_CONFIG", raising=False)
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert message.startswith(f"{missing}: configuration file not found; pass --config PATH or set FAQBOT_CONFIG")
    assert "pip install -e ." in message
