"""`faqbot bench --dataset PATH`: the intent layer on CLINC150 (Larson et al., EMNLP-IJCNLP 2019; CC BY 3.0).

The file is CLINC150's JSON: train, val, test, oos_train, oos_val, oos_test, each a list of
[text, intent]. Its train split is written as a knowledge base in a temporary folder (one intent
per CLINC150 intent, its training questions as examples, in knowledge/ + intents/ + a config.toml
holding this configuration's settings with its [paths] replaced, and `[text] language = "en"` when
the core has that setting), a real Engine is built on it, and every val and test question is
asked with Engine.reply in a new conversation. The paper's two protocols:

- threshold: trained on the in-scope intents only;
- oos-train: oos_train is also written, as the intents file's `out_of_scope` list.

In each protocol the rows are: faqbot with its configured decision (clarify and fallback count as
out of scope); faqbot answering the best candidate the key-term guard allows when the reply's
confidence reaches a threshold chosen on val + oos_val (in place of the engine's own answer
threshold); faqbot's ranking alone (its best candidate and score, without the guard and the decision)
with such a threshold; a TF-IDF + LinearSVC baseline fitted here (threshold chosen the same way; in
oos-train, out of scope is its own class, as in the paper); the published figures. Each threshold
is chosen by two criteria (clinc_metrics.CRITERIA: balanced, accuracy). Test is measured once.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import re
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.tools.bench import _forget_answers, _forget_normalisations, _log, machine, peak_rss_mb, percentile
from bot.tools.clinc_metrics import (
    CRITERIA,
    OOS,
    Baseline,
    apply_threshold,
    choose_threshold,
    format_rows,
    published_rows,
    scores,
)
from bot.tools.synthetic import dump_toml

SPLITS = ("train", "val", "test", "oos_train", "oos_val", "oos_test")
ATTRIBUTION = ("CLINC150, Larson et al., « An Evaluation Dataset for Intent Classification and Out-of-Scope "
               "Prediction », EMNLP-IJCNLP 2019 (clinc/oos-eval), licence CC BY 3.0")
WARM_UP = ("hello", "what can you do", "thanks a lot", "who are you")
PROTOCOLS = {"threshold": "trained on the in-scope intents; decision chosen on val + oos_val",
             "oos-train": "oos_train written as out_of_scope questions in the data"}


class DatasetError(Exception):
    """The dataset file is missing or not in CLINC150's format."""


@dataclass(frozen=True)
class Dataset:
    name: str
    intents: tuple[str, ...]
    splits: dict[str, tuple[tuple[str, str], ...]]

    def questions(self, part: str) -> tuple[list[str], list[str]]:
        """Return the texts and gold labels ("" = out of scope) of `part` (val or test) with its oos rows."""
        rows = list(self.splits[part]) + [(text, OOS) for text, _ in self.splits[f"oos_{part}"]]
        return [t for t, _ in rows], [g for _, g in rows]


def load_dataset(path: Path, limit: int | None = None) -> Dataset:
    """Read a CLINC150 JSON file; keep the first `limit` intents of train (every oos row is kept)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path}: dataset file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(raw, dict) or not set(SPLITS) <= set(raw):
        raise DatasetError(f"{path}: not CLINC150's format: expected a JSON object with keys {', '.join(SPLITS)}")
    splits: dict[str, tuple[tuple[str, str], ...]] = {}
    for name in SPLITS:
        rows = raw[name]
        if not isinstance(rows, list) or not all(
                isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) for x in r) and r[0].strip()
                for r in rows):
            raise DatasetError(f"{path}: {name!r} must be a list of [text, intent] pairs of non-empty text")
        splits[name] = tuple((r[0].strip(), r[1]) for r in rows)
    intents = tuple(dict.fromkeys(label for _, label in splits["train"]))
    if limit is not None:
        intents = intents[:max(1, limit)]
    if len(intents) < 2:
        raise DatasetError(f"{path}: the train split needs at least two intents")
    kept = set(intents)
    for name in ("train", "val", "test"):
        splits[name] = tuple(r for r in splits[name] if r[1] in kept)
    return Dataset(Path(path).name, intents, splits)


def _intent_id(label: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", label.lower()).strip("_") or "intent"


def _language_setting() -> bool:
    """Return True when bot.config knows `[text] language`."""
    from bot.config import Config

    text = {f.name: f for f in dataclasses.fields(Config)}.get("text")
    if text is None:
        return False
    factory = text.default_factory
    default = factory() if factory is not dataclasses.MISSING else text.default
    return hasattr(default, "language")


def write_kb(dataset: Dataset, root: Path, config_path: Path, with_oos: bool) -> Path:
    """Write the train split as knowledge/ + intents/ + config.toml under `root`; return the config's path."""
    (root / "knowledge").mkdir(parents=True)
    (root / "intents").mkdir()
    header = f"# Generated by `faqbot bench --dataset` from {dataset.name}: {ATTRIBUTION}."
    examples: dict[str, list[str]] = {label: [] for label in dataset.intents}
    for text, label in dataset.splits["train"]:
        examples[label].append(text)
    ids = {label: _intent_id(label) for label in dataset.intents}
    if len(set(ids.values())) < len(ids):
        raise DatasetError(f"{dataset.name}: two intent names give the same id once lowercased")
    answers = [{"id": ids[label], "title": label.replace("_", " "), "text": label.replace("_", " "),
                "source": "CLINC150 (CC BY 3.0)"} for label in dataset.intents]
    intents: dict[str, Any] = {"topic": "clinc150"}
    if with_oos:
        intents["out_of_scope"] = list(dict.fromkeys(t for t, _ in dataset.splits["oos_train"]))
    intents["intents"] = [{"id": ids[label], "answer": ids[label], "examples": list(dict.fromkeys(examples[label]))}
                          for label in dataset.intents]
    (root / "knowledge" / "clinc150.toml").write_text(
        dump_toml({"topic": "clinc150", "title": "CLINC150", "answers": answers}, header), encoding="utf-8")
    (root / "intents" / "clinc150.toml").write_text(dump_toml(intents, header), encoding="utf-8")
    # The loader checks that every number of an answer is in the source document: the answers are the intents' names.
    names = "\n".join(a["text"] for a in answers)
    (root / "source.txt").write_text(f"{ATTRIBUTION}\nIntents:\n{names}\n", encoding="utf-8")
    with config_path.open("rb") as fh:
        raw = tomllib.load(fh)
    raw["paths"] = {"knowledge": "knowledge", "intents": "intents", "source": "source.txt", "cache": ".cache",
                    "unanswered_log": "var/unanswered.jsonl", "persistence": "var/telegram.pickle",
                    "evaluation": "evaluation"}
    if _language_setting():
        raw["text"] = {**raw.get("text", {}), "language": "en"}
    (root / "config.toml").write_text(dump_toml(raw), encoding="utf-8")
    return root / "config.toml"


@dataclass
class Pass:
    """What the engine said to each question of one pass, in order."""

    predicted: list[str] = field(default_factory=list)  # the answered label, "" for clarify/fallback
    status: list[str] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    top: list[str] = field(default_factory=list)  # the best-ranked candidate, before the guard and the decision
    top_score: list[float] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)  # the best candidate the key-term guard allows ("" if none)
    seconds: list[float] = field(default_factory=list)


def _ask(engine: Any, texts: Sequence[str], labels: dict[str, str]) -> Pass:
    """Ask every text in a new conversation; map intent ids back to the dataset's labels."""
    from bot.engine import ANSWERED

    out = Pass()
    clock = time.perf_counter
    for text in texts:
        start = clock()
        reply = engine.reply(text)
        out.seconds.append(clock() - start)
        answered = reply.status == ANSWERED and reply.intent
        out.predicted.append(labels.get(reply.intent, reply.intent) if answered else OOS)
        out.status.append(reply.status)
        out.confidence.append(round(float(reply.confidence), 4))
        candidates = reply.explanation.candidates
        top, score = (candidates[0].intent, candidates[0].score) if candidates else ("", 0.0)
        out.top.append(labels.get(top, top or OOS))
        out.top_score.append(round(float(score), 4))
        allowed = reply.intent if answered else next(
            (c.intent for c in candidates if c.guard.passed), "")
        out.allowed.append(labels.get(allowed, allowed or OOS))
    return out


def _latency(seconds: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(seconds, 0.5) * 1e3, 3), "p99_ms": round(percentile(seconds, 0.99) * 1e3, 3)}


def _top1(gold: Sequence[str], top: Sequence[str]) -> float | None:
    in_scope = [(g, t) for g, t in zip(gold, top, strict=True) if g != OOS]
    return round(sum(g == t for g, t in in_scope) / len(in_scope), 4) if in_scope else None


def _build(dataset: Dataset, config_path: Path, root: Path, protocol: str) -> tuple[Any, float]:
    """Write the data for `protocol`, build an engine on it with no cache; return it and the build time (s)."""
    import sklearn.feature_extraction.text  # noqa: F401  the matcher's imports: not part of the build time
    import sklearn.svm  # noqa: F401

    from bot.config import load_config
    from bot.engine import Engine
    from bot.problems import KnowledgeError

    cfg = write_kb(dataset, root, config_path, with_oos=protocol == "oos-train")
    _log(f"{protocol}: building the engine on {len(dataset.splits['train']):,} training questions (no cache)")
    start = time.perf_counter()
    try:
        engine = Engine(load_config(cfg))
    except KnowledgeError as exc:
        raise DatasetError(f"{dataset.name}: the converted data does not load: {exc.problems[0]}") from None
    return engine, round(time.perf_counter() - start, 2)


def _faqbot(dataset: Dataset, config_path: Path, root: Path, protocol: str) -> tuple[list[dict[str, Any]], dict]:
    """Build the engine on the written data and return its rows, and facts about the build."""
    engine, build_s = _build(dataset, config_path, root, protocol)
    labels = {_intent_id(label): label for label in dataset.intents}
    facts = {"svm_fitted": bool(engine.matcher.classifier_coef_.size), "examples": len(engine.matcher.examples_),
             "out_of_scope_in_data": len(engine.kb.out_of_scope)}
    test, gold = dataset.questions("test")
    val, val_gold = dataset.questions("val")
    for text in WARM_UP:
        engine.reply(text)
    _forget_answers(engine)
    _forget_normalisations()
    _log(f"{protocol}: asking {len(test):,} test questions (configured decision, timed)")
    configured = _ask(engine, test, labels)
    rss = round(peak_rss_mb(), 1)
    _log(f"{protocol}: asking {len(val):,} val questions")
    on_val = _ask(engine, val, labels)
    del engine
    gc.collect()
    common = {"protocol": protocol, "build_s": build_s, **_latency(configured.seconds), "rss_mb": rss,
              "top1": _top1(gold, configured.top)}
    rows = [{"system": "faqbot, configured decision", **common,
             "scores": scores(gold, configured.predicted, configured.confidence, configured.status),
             "predicted": configured.predicted, "status": configured.status, "confidence": configured.confidence,
             "top": configured.top, "allowed": configured.allowed}]
    for name, pick, conf, val_pick, val_conf in (
            ("", configured.allowed, configured.confidence, on_val.allowed, on_val.confidence),
            ("ranking only, ", configured.top, configured.top_score, on_val.top, on_val.top_score)):
        for criterion in CRITERIA:
            threshold = choose_threshold(val_gold, val_pick, val_conf, criterion)
            decided = apply_threshold(pick, conf, threshold)
            rows.append({"system": f"faqbot, {name}{criterion} threshold {threshold:.3f}", **common,
                         "threshold": threshold, "criterion": criterion, "scores": scores(gold, decided, conf),
                         "predicted": decided, "confidence": conf})
    return rows, facts


def _baseline(dataset: Dataset, protocol: str) -> list[dict[str, Any]]:
    """Fit the TF-IDF + LinearSVC baseline for one protocol and return its rows."""
    texts = [t for t, _ in dataset.splits["train"]]
    labels = [g for _, g in dataset.splits["train"]]
    if protocol == "oos-train":
        texts += [t for t, _ in dataset.splits["oos_train"]]
        labels += [OOS] * len(dataset.splits["oos_train"])
    _log(f"{protocol}: fitting the TF-IDF + LinearSVC baseline")
    model = Baseline().fit(texts, labels)
    test, gold = dataset.questions("test")
    predicted, confidence = model.predict(test)
    common: dict[str, Any] = {"protocol": protocol, "build_s": round(model.build_s, 2), **_latency(model.timed(test)),
                              "confidence": confidence}
    if protocol == "oos-train":
        return [common | {"system": "TF-IDF + LinearSVC, oos as a class", "predicted": predicted,
                          "scores": scores(gold, predicted, confidence)}]
    val, val_gold = dataset.questions("val")
    on_val = model.predict(val)
    rows = []
    for criterion in CRITERIA:
        threshold = choose_threshold(val_gold, *on_val, criterion)
        decided = apply_threshold(predicted, confidence, threshold)
        rows.append(common | {"system": f"TF-IDF + LinearSVC, {criterion} threshold {threshold:.3f}",
                              "threshold": threshold, "criterion": criterion, "predicted": decided,
                              "scores": scores(gold, decided, confidence)})
    return rows


def run_dataset_bench(config: Any, path: Path, limit: int | None = None) -> dict[str, Any]:
    """Run both protocols on the dataset at `path` and return every figure (see the module docstring)."""
    dataset = load_dataset(path, limit)
    test, gold = dataset.questions("test")
    val, _ = dataset.questions("val")
    result: dict[str, Any] = {
        "dataset": dataset.name, "attribution": ATTRIBUTION, "machine": machine(), "limit": limit,
        "intents": len(dataset.intents), "train": len(dataset.splits["train"]), "val": len(val), "test": len(test),
        "threshold_criteria": CRITERIA, "language_setting": _language_setting(), "gold": gold,
        "protocols": {}}
    with tempfile.TemporaryDirectory(prefix="faqbot-clinc-") as tmp:
        for protocol in PROTOCOLS:
            rows, facts = _faqbot(dataset, Path(config.path), Path(tmp) / protocol, protocol)
            result["protocols"][protocol] = {"about": PROTOCOLS[protocol], **facts, "rows": rows}
    for protocol in PROTOCOLS:
        result["protocols"][protocol]["rows"] += _baseline(dataset, protocol)
    result["machine"]["load_after"] = machine()["load_before"]
    return result


def format_dataset_table(result: dict[str, Any]) -> str:
    """Render the figures for a person."""
    m = result["machine"]
    load = f", load average {m['load_before'][0]:.2f} at start" if m.get("load_before") else ""
    lines = [f"{result['dataset']}: {result['intents']} intents, {result['train']:,} training questions, "
             f"val {result['val']:,} and test {result['test']:,} questions (with their out-of-scope ones)"
             + (f"; --limit {result['limit']}" if result["limit"] else ""),
             f"machine: {m['cpus']} CPUs, {m['cpu']}, Python {m['python']}{load}",
             "thresholds on the confidence, chosen on val + oos_val only, maximising "
             + "; or ".join(f"{name}: {text}" for name, text in result["threshold_criteria"].items()),
             "in-scope = answered with the right intent (clarify and fallback count as out of scope); "
             "top-1 = the engine's best-ranked candidate, before the key-term guard and the decision; "
             "threshold rows = the best candidate the key-term guard allows, answered when the reply's confidence "
             "reaches the threshold (in place of the engine's answer threshold); "
             "ranking only = the best-ranked candidate and its ranking score, the guard and the decision left out; "
             "RSS = this process's peak after the engine answered (baseline: not measured); "
             "build = fitting with no cache, imports excluded",
             f"source: {result['attribution']}"]
    for protocol, part in result["protocols"].items():
        svm = "fitted" if part["svm_fitted"] else "NOT fitted (the matcher's size cap): ranking on similarity only"
        lines += ["", f"protocol {protocol}: {part['about']}; faqbot's SVM {svm}; "
                      f"{part['out_of_scope_in_data']} out_of_scope questions in the data"]
        lines += format_rows(part["rows"] + published_rows(protocol))
    return "\n".join(lines)
