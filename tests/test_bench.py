"""`faqbot bench`: a smoke run (no timing assertions) and the synthetic knowledge bases it builds."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.knowledge import load_knowledge
from bot.tools.synthetic import dump_toml, write_config, write_synthetic_kb

REPO = Path(__file__).resolve().parent.parent


def _private_config(tmp_path: Path) -> Path:
    """Write a config.toml using the shipped data, with the cache and logs under tmp_path."""
    shipped = load_config(REPO / "config.toml").paths
    target = tmp_path / "config.toml"
    write_config(REPO / "config.toml", target, {
        "knowledge": str(shipped.knowledge), "intents": str(shipped.intents), "source": str(shipped.source),
        "evaluation": str(shipped.evaluation), "cache": str(tmp_path / "cache"),
        "unanswered_log": str(tmp_path / "unanswered.jsonl"), "persistence": str(tmp_path / "telegram.pickle")})
    return target


def test_quick_bench_reports_every_figure(run_faqbot, tmp_path: Path) -> None:
    done = run_faqbot("bench", "--quick", "--json", "--config", str(_private_config(tmp_path)), timeout=110)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["quick"] is True
    assert set(result["cold_start"]) >= {"ask_median_s", "help_median_s"}
    assert result["shipped"]["p50_ms"] > 0 and result["shipped"]["rss_mb"] > 0
    assert [row["examples"] for row in result["scale"]] == [1_000, 2_000]
    for row in result["scale"]:
        assert row["build_s"] > 0 and row["p50_ms"] > 0 and row["naive_p50_ms"] > 0 and row["speedup_p50"] > 0


def test_quick_bench_prints_a_table(run_faqbot, tmp_path: Path) -> None:
    done = run_faqbot("bench", "--quick", "--sizes", "1000", "--config", str(_private_config(tmp_path)), timeout=110)
    assert done.returncode == 0, done.stderr
    assert "cold start" in done.stdout
    assert "naive p50" in done.stdout


def test_synthetic_knowledge_base_is_valid_sized_and_deterministic(config: Config, tmp_path: Path) -> None:
    first = write_synthetic_kb(config, 700, tmp_path / "a", queries=10)
    second = write_synthetic_kb(config, 700, tmp_path / "b", queries=10)
    assert first == second
    for folder in ("intents", "knowledge"):
        names = sorted(p.name for p in (tmp_path / "a" / folder).glob("*.toml"))
        assert names == sorted(p.name for p in (tmp_path / "b" / folder).glob("*.toml"))
        for name in names:
            assert (tmp_path / "a" / folder / name).read_text() == (tmp_path / "b" / folder / name).read_text()
    generated = load_config(tmp_path / "a" / "config.toml")
    kb = load_knowledge(generated.paths.knowledge, generated.paths.intents)
    examples = {e for intent in kb.intents.values() for e in intent.examples}
    assert sum(len(intent.examples) for intent in kb.intents.values()) == 700
    assert len(first) == 10
    assert all(q["intent"] in kb.intents and q["text"] not in examples for q in first)


@pytest.mark.parametrize("path", ["config.toml", "intents/vocabulary.toml"])
def test_dump_toml_round_trips(path: str) -> None:
    with (REPO / path).open("rb") as fh:
        data = tomllib.load(fh)
    assert tomllib.loads(dump_toml(data)) == data
