"""`faqbot bench`: a smoke run (no timing assertions) and the synthetic knowledge bases it builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.reader import load_knowledge
from bot.tools.bench import format_table
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


# A quick run takes about 30 s on 2 shared CPUs (each synthetic base's build learns its decision out of fold):
# it runs once, for both tests below.
@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("quick-bench")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "HOME": str(root)}
    done = subprocess.run([sys.executable, "-m", "bot", "bench", "--quick", "--json", "--config",
                           str(_private_config(root))], capture_output=True, text=True, timeout=280, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.timeout(300)
def test_quick_bench_reports_every_figure(quick_bench: dict) -> None:
    result = quick_bench
    assert result["quick"] is True
    assert set(result["cold_start"]) >= {"ask_median_s", "help_median_s"}
    assert result["shipped"]["p50_ms"] > 0 and result["shipped"]["rss_mb"] > 0
    assert [row["examples"] for row in result["scale"]] == [1_000, 2_000]
    for row in result["scale"]:
        assert row["build_s"] > 0 and row["p50_ms"] > 0 and row["naive_p50_ms"] > 0 and row["speedup_p50"] > 0
        assert 0 <= row["accuracy"] <= 1 and 0 < row["top1"] <= 1
        assert isinstance(row["answers_nothing"], list)


@pytest.mark.timeout(300)
def test_quick_bench_table_shows_each_measure(quick_bench: dict) -> None:
    table = format_table(quick_bench)
    assert "cold start" in table
    assert "naive p50" in table and "top-1" in table
    assert "1,000" in table and "2,000" in table  # a row per synthetic size


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


# -- `faqbot bench --dataset`: CLINC150 (tests/data/clinc150-sample.json, CC BY 3.0, see tests/data/README.md) --
SAMPLE = REPO / "tests" / "data" / "clinc150-sample.json"


def _in_scope_accuracy(gold: list[str], predicted: list[str]) -> float:
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if g]
    return round(sum(g == p for g, p in pairs) / len(pairs), 4)


def _auroc(gold: list[str], confidence: list[float]) -> float:
    """Mann-Whitney: the share of (in-scope, out-of-scope) pairs ranked the right way, ties half."""
    pos = [c for g, c in zip(gold, confidence, strict=True) if g]
    neg = [c for g, c in zip(gold, confidence, strict=True) if not g]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


@pytest.fixture(scope="module")
def clinc_result() -> dict:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bot", "bench", "--dataset", str(SAMPLE), "--json"],
                          capture_output=True, text=True, timeout=110, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "bench: threshold: building the engine" in done.stderr  # the progress lines
    return json.loads(done.stdout)


def test_dataset_bench_scores_faqbot_from_its_replies(clinc_result: dict) -> None:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    gold = clinc_result["gold"]
    assert gold == [g for _, g in sample["test"]] + [""] * len(sample["oos_test"])
    for protocol in ("threshold", "oos-train"):
        part = clinc_result["protocols"][protocol]
        configured = part["rows"][0]
        assert configured["system"] == "faqbot, configured decision"
        status, predicted = configured["status"], configured["predicted"]
        assert all((s == "answered") == bool(p) for s, p in zip(status, predicted, strict=True))
        right = sum(s == "answered" and p == g for s, p, g in zip(status, predicted, gold, strict=True) if g)
        assert configured["scores"]["in_scope_accuracy"] == round(right / sum(map(bool, gold)), 4)
        oos = [s != "answered" for s, g in zip(status, gold, strict=True) if not g]
        assert configured["scores"]["oos_recall"] == round(sum(oos) / len(oos), 4)
        assert configured["scores"]["clarify_rate"] == round(status.count("clarify") / len(gold), 4)
        assert configured["top1"] == _in_scope_accuracy(gold, configured["top"])
        assert configured["top1"] > 0.8  # six intents: the ranking finds most of them
        assert configured["build_s"] >= 0 and configured["p50_ms"] > 0 and configured["rss_mb"] > 0
        ours = [row for row in part["rows"] if row["system"].startswith("faqbot")]
        assert len(ours) == 5  # configured; opened decision and ranking only, each with two thresholds
        for row in ours:
            assert row["scores"]["auroc"] == _auroc(gold, row["confidence"])
        for row in ours[1:]:  # thresholded on val: every kept answer reaches the threshold
            assert all(not p or c >= row["threshold"] for p, c in zip(row["predicted"], row["confidence"], strict=True))
            assert row["scores"]["in_scope_accuracy"] == _in_scope_accuracy(gold, row["predicted"])
    assert clinc_result["protocols"]["oos-train"]["out_of_scope_in_data"] == len(sample["oos_train"])
    assert clinc_result["protocols"]["threshold"]["out_of_scope_in_data"] == 0


def test_dataset_bench_baseline_is_computed_like_faqbot(clinc_result: dict) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    gold = clinc_result["gold"]
    baselines = [row for part in clinc_result["protocols"].values() for row in part["rows"]
                 if row["system"].startswith("TF-IDF + LinearSVC")]
    assert len(baselines) == 3  # threshold protocol: two criteria; oos-train: oos as a class
    for row in baselines:
        assert row["scores"]["in_scope_accuracy"] == _in_scope_accuracy(gold, row["predicted"])
        said_oos = [g for g, p in zip(gold, row["predicted"], strict=True) if not p]
        assert row["scores"]["oos_recall"] == round(said_oos.count("") / gold.count(""), 4)
        assert row["scores"]["oos_precision"] == round(said_oos.count("") / len(said_oos), 4)
        assert row["scores"]["auroc"] == _auroc(gold, row["confidence"])
    # oos-train: the baseline is what it says, refitted here
    texts = [t for t, _ in sample["train"]] + [t for t, _ in sample["oos_train"]]
    labels = [g for _, g in sample["train"]] + [""] * len(sample["oos_train"])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    svm = LinearSVC(random_state=0).fit(vectorizer.fit_transform(texts), labels)
    test = [t for t, _ in sample["test"]] + [t for t, _ in sample["oos_test"]]
    refitted = list(svm.predict(vectorizer.transform(test)))
    assert clinc_result["protocols"]["oos-train"]["rows"][-1]["predicted"] == refitted


def test_dataset_bench_prints_a_table(clinc_result: dict) -> None:
    from bot.tools.clinc import format_dataset_table

    table = format_dataset_table(clinc_result)
    assert "protocol threshold" in table and "protocol oos-train" in table
    assert "BERT (fine-tuned) (published, Full)" in table and "TF-IDF + LinearSVC" in table


def test_dataset_limit_keeps_the_first_intents() -> None:
    from bot.tools.clinc import load_dataset

    dataset = load_dataset(SAMPLE, limit=2)
    assert dataset.intents == ("translate", "transfer")
    assert {g for _, g in dataset.splits["test"]} == {"translate", "transfer"}
    assert len(dataset.splits["oos_test"]) == 60


@pytest.mark.parametrize("content", [None, "{not json", '{"train": []}', json.dumps(
    {k: [["a question", 3]] for k in ("train", "val", "test", "oos_train", "oos_val", "oos_test")})])
def test_dataset_errors_are_one_line(content: str | None, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from bot.cli import main

    path = tmp_path / "data.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["bench", "--dataset", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(path) in err and len(err.strip().splitlines()) == 1


def test_threshold_criteria_weigh_out_of_scope_differently() -> None:
    from bot.tools.clinc_metrics import choose_threshold

    # 6 in scope, all right (four at 0.9, two at 0.5), 2 out of scope (0.6, 0.4): going down to 0.5
    # answers two more in-scope questions and one out-of-scope question.
    gold = ["a"] * 6 + ["", ""]
    predicted = ["a"] * 8
    confidence = [0.9] * 4 + [0.5] * 2 + [0.6, 0.4]
    assert choose_threshold(gold, predicted, confidence, "accuracy") == 0.5  # 7/8 right instead of 6/8
    assert choose_threshold(gold, predicted, confidence, "balanced") == 0.9  # (4/6 + 1) / 2 > (1 + 1/2) / 2
