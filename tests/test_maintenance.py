"""Maintainers' tools: eval report and threshold sweep, review of unanswered questions, intents export, log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.config import Config
from bot.dialogue import Conversation
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.tools.catalog import export_knowledge, format_explanation
from bot.tools.evaluation import OUT_OF_SCOPE, Outcome, Ranked, confusions, evaluate, per_intent
from bot.tools.review import group_questions, review
from bot.tools.tuning import analyse, format_report, lowest_reaching, redecide, sweep, sweep_point
from bot.unanswered import UnansweredLog

SMALL_SET = {
    "questions.toml": '''
[[questions]]
text = "c koi la dci"
intent = "dci.definition"

[[questions]]
text = "quand la DCI a-t-elle été créée ?"
intent = "dci.creation"

[[questions]]
text = "le numéro de téléphone du SSI de Nouakchott"
intent = "nouakchott.telephone"

[[questions]]
text = "Quel est le budget annuel de la DCI ?"
intent = ""
kind = "hard_negative"

[[questions]]
text = "comment faire un gâteau au chocolat ?"
''',
    "dialogs.toml": '''
[[dialogs]]
name = "chef puis mail"
turns = [
  { text = "qui dirige le SSI de Nouakchott ?", intent = "nouakchott.chef" },
  { text = "et son adresse mail ?", intent = "nouakchott.courriel" },
  { text = "et son budget ?", intent = "" },
]
''',
}


def small_set(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SMALL_SET.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def outcome(expected: str, *candidates: tuple[str, float, bool], status: str = "fallback",
            intent: str | None = None, confidence: float = 0.0) -> Outcome:
    return Outcome("q", expected, "in_scope", status, intent, confidence, tuple(Ranked(*c) for c in candidates))


# A labelled set whose decisions are easy to follow by hand (confidence: the probability of the best allowed candidate).
OUTCOMES = [
    outcome("a", ("a", 0.90, True), ("b", 0.50, True), confidence=0.90),  # right at any threshold <= 0.90
    outcome("b", ("a", 0.60, True), ("b", 0.58, True), confidence=0.60),  # wrong (a) at thresholds <= 0.60
    outcome("", ("c", 0.70, True), confidence=0.70),                      # out of scope: wrong when answered
    outcome("", ("d", 0.80, False), confidence=0.0),                      # vetoed by the key-term guard: never
    outcome("c", ("d", 0.66, False), ("c", 0.65, True), confidence=0.65),  # right at thresholds <= 0.65
]


# -- evaluation and sweep ----------------------------------------------------------------------
def test_report_fields_on_a_small_set(engine: Engine, tmp_path: Path) -> None:
    report = evaluate(engine, small_set(tmp_path / "eval"), leave_one_out=False)
    assert (report.in_scope, report.out_of_scope, report.hard_negatives, report.dialogs) == (3, 2, 1, 1)
    assert len(report.outcomes) == 5
    assert [o.expected for o in report.outcomes][:2] == ["dci.definition", "dci.creation"]
    assert report.outcomes[0].candidates[0].intent == "dci.definition"
    assert set(report.metrics()) == {"in_scope_accuracy", "out_of_scope_rejection", "hard_negative_rejection",
                                     "wrong_answer_rate", "clarify_rate", "dialog_success", "leave_one_out_accuracy"}
    assert report.not_answered >= 2  # the cake and the budget at least


def test_sweep_redecides_from_recorded_candidates() -> None:
    assert redecide(OUTCOMES[1], 0.5) == "a"
    assert redecide(OUTCOMES[1], 0.61) is None
    assert redecide(OUTCOMES[3], 0.0) is None  # the only candidate is vetoed
    assert redecide(OUTCOMES[4], 0.6) == "c"  # the vetoed candidate ranked above is skipped
    low = sweep_point(OUTCOMES, 0.5)
    assert (low.answered, low.correct, low.total) == (4, 2, 5)
    assert (low.coverage, low.precision) == (0.8, 0.5)
    assert sweep_point(OUTCOMES, 0.95).precision == 1.0  # nothing answered: nothing wrong


def test_lowest_threshold_reaching_the_target() -> None:
    points = sweep(OUTCOMES)
    best = lowest_reaching(points, target=0.98)
    assert best is not None
    assert (best.answered, best.correct) == (1, 1)  # only question "a" can be answered without a mistake
    assert best.answer_threshold == 0.71
    assert lowest_reaching(points, target=0.5).coverage == 0.8
    assert lowest_reaching([p for p in points if p.answer_threshold < 0.6], target=0.98) is None


def test_per_intent_precision_recall_and_confusions() -> None:
    outcomes = [
        outcome("a", ("a", 0.9, True), status="answered", intent="a"),
        outcome("a", ("b", 0.9, True), status="answered", intent="b"),
        outcome("b", ("b", 0.9, True), status="answered", intent="b"),
        outcome("", ("b", 0.9, True), status="answered", intent="b"),
        outcome("c", ("a", 0.4, True)),
    ]
    scores = {s.intent: s for s in per_intent(outcomes)}
    assert (scores["a"].recall, scores["a"].precision) == (0.5, 1.0)
    assert (scores["b"].recall, scores["b"].precision) == (1.0, round(1 / 3, 4))
    assert (scores["c"].recall, scores["c"].precision) == (0.0, None)
    pairs = {(c.expected, c.got): (c.count, c.answered) for c in confusions(outcomes)}
    assert pairs == {("a", "b"): (1, 1), (OUT_OF_SCOPE, "b"): (1, 1), ("c", "a"): (1, 0)}


def test_sweep_on_the_real_set_mirrors_the_engine_and_is_fast(engine: Engine, config: Config) -> None:
    report = evaluate(engine, config.paths.evaluation, leave_one_out=False)
    started = time.perf_counter()
    analysis = analyse(report, engine.answer_threshold, config.decision.target_precision)
    assert time.perf_counter() - started < 5
    assert analysis.mismatches == []  # re-deciding at the learned threshold gives the engine's own decisions
    assert analysis.current.answered == report.statuses["answered"]
    assert len(analysis.points) >= 70
    text = format_report(report, analysis)
    assert "threshold sweep" in text and "learned     answer_threshold" in text and "per intent" in text


def test_eval_cli_json_and_log(run_faqbot, data_copy: Path, tmp_path: Path) -> None:
    log = tmp_path / "fallbacks.jsonl"
    result = run_faqbot("eval", "--config", str(data_copy), "--no-loo", "--json", "--log", str(log))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"metrics", "per_intent", "confusions", "sweep", "failures", "unlabelled_intents"}
    assert set(report["sweep"]) >= {"target_precision", "current", "reaching_target", "points"}
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert f"{len(entries)} clarify/fallback replies written to {log}" in result.stderr
    assert entries and {e["channel"] for e in entries} == {"eval"}
    assert all(set(e) == {"time", "channel", "status", "question", "candidates"} for e in entries)  # no user data


def test_plot_is_drawn_when_matplotlib_is_installed(engine: Engine, config: Config, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from bot.tools.tuning import plot_sweep

    report = evaluate(engine, small_set(tmp_path / "eval"), leave_one_out=False)
    plot_sweep(analyse(report, engine.answer_threshold, 0.98), tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 1000


# -- review ------------------------------------------------------------------------------------
def entries(*questions: str) -> list[dict[str, object]]:
    return [{"time": f"2025-01-01T00:00:{n:02d}", "channel": "test", "status": "fallback", "question": q,
             "candidates": []} for n, q in enumerate(questions)]


LOGGED = entries(
    "Quel est le budget annuel de la DCI ?", "et son budget ?", "quel budget pour le SSI de Nouakchott",
    "qui dirige la DCI ?", "qui la dirige ?", "c koi la dci", "C'est quoi la DCI ?", "c koi la dci",
    "horaires d'ouverture du SSI", "le SSI est ouvert à quelles heures ?", "", "comment faire un gâteau au chocolat ?",
)


def test_review_groups_similar_questions_most_asked_first(kb: KnowledgeBase) -> None:
    groups = group_questions(LOGGED, kb)
    as_text = [sorted(q.text for q in g) for g in groups]
    budget = ["Quel est le budget annuel de la DCI ?", "et son budget ?", "quel budget pour le SSI de Nouakchott"]
    assert budget in as_text
    assert ["qui dirige la DCI ?", "qui la dirige ?"] in as_text
    same = next(g for g in groups if any(q.normalized == "ce est quoi la dci" for q in g))
    assert [q.count for q in same] == [3]  # three spellings of one question, counted once each
    assert sum(q.count for g in groups for q in g) == len(LOGGED) - 1  # the empty question is ignored


def test_review_suggests_what_to_do(engine: Engine) -> None:
    groups = review(engine, LOGGED)
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    by_question = {text: g for g in groups for text, _ in g.questions}
    budget = by_question["et son budget ?"]
    assert budget.action == "new_intent" and "budget" in budget.missing
    assert budget.suggestion.startswith("new intent, if the source document answers it")
    known = by_question["c koi la dci"]
    assert (known.action, known.nearest) == ("answered_now", "dci.definition")
    assert json.loads(json.dumps(budget.to_json()))["questions"][0]["count"] == 1


def test_review_cli_reads_the_log(run_faqbot, tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl")
    for entry in LOGGED:
        log.record("test", str(entry["question"]), "fallback", [])
    text = run_faqbot("review", "--log", str(log.path), "--limit", "2")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("11 unanswered question(s) in ")
    assert "\n1. 3x, nearest " in text.stdout and "more group(s); use --limit 0 to see all" in text.stdout
    data = json.loads(run_faqbot("review", "--log", str(log.path), "--json", "--limit", "0").stdout)
    assert data["questions"] == 11
    assert {"count", "questions", "nearest_intent", "score", "action", "suggestion"} <= set(data["groups"][0])


def test_review_of_an_empty_log(run_faqbot, tmp_path: Path) -> None:
    result = run_faqbot("review", "--log", str(tmp_path / "none.jsonl"))
    assert result.returncode == 0
    assert result.stdout.startswith("no unanswered questions in ")


# -- intents and explanations ------------------------------------------------------------------
def test_intents_export_is_the_whole_knowledge_base(kb: KnowledgeBase) -> None:
    data = json.loads(json.dumps(export_knowledge(kb), ensure_ascii=False))
    intents = {i["id"]: i for i in data["intents"]}
    answers = {a["id"]: a for a in data["answers"]}
    assert set(intents) == set(kb.intents) and set(answers) == set(kb.answers)
    assert intents["dci.creation"]["examples"] == list(kb.intents["dci.creation"].examples)
    assert answers[intents["dci.creation"]["answer"]]["source"]
    assert "1er septembre 2010" in answers["dci.creation"]["text"]
    assert {"topics", "subjects", "facets", "acronyms"} <= set(data)


def test_intents_cli_lists_every_intent(run_faqbot, kb: KnowledgeBase) -> None:
    result = run_faqbot("intents")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip() and "." in line.split()[0]}
    assert listed == set(kb.intents)
    assert f"{len(kb.intents)} intents" in result.stdout


def test_explain_text_shows_why(engine: Engine, kb: KnowledgeBase) -> None:
    text = format_explanation(engine.reply("c koi la D.C.I ?"), kb)
    assert "normalised   ce est quoi la dci" in text
    assert "DCI = Direction de la coopération internationale" in text
    assert "1. dci.definition" in text and "tfidf" in text and "fuzzy" in text and "nearest example" in text
    assert "rule         probability" in text and "decision     answered dci.definition" in text


def test_explain_shows_the_conversation_context(engine: Engine, kb: KnowledgeBase) -> None:
    conversation = Conversation()
    engine.reply("qui dirige le SSI de Nouakchott ?", conversation, now=0.0)
    text = format_explanation(engine.reply("et son adresse mail ?", conversation, now=5.0), kb)
    assert "context      subject 'ssi_nouakchott', facet 'chef' (from the conversation)" in text


def test_explain_cli_text_by_default_json_on_request(run_faqbot) -> None:
    text = run_faqbot("ask", "--explain", "c koi la dci")
    assert text.stdout.startswith("question     c koi la dci\nnormalised   ce est quoi la dci")
    data = json.loads(run_faqbot("ask", "--explain", "--json", "c koi la dci").stdout)
    assert data["explanation"]["normalized"] == "ce est quoi la dci"


# -- the unanswered log ------------------------------------------------------------------------
def test_log_rotates_and_keeps_the_newest(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl", max_bytes=600, backups=2)
    for n in range(40):
        log.record("test", f"question {n}", "fallback", [{"intent": "x", "score": 0.5}])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["u.jsonl", "u.jsonl.1", "u.jsonl.2"]
    assert all(p.stat().st_size <= 600 for p in tmp_path.iterdir())
    questions = [e["question"] for e in log.entries()]
    assert questions[-1] == "question 39"
    assert questions == sorted(questions, key=lambda q: int(q.split()[1]))  # oldest file first
    assert len(questions) < 40  # the oldest went away with the rotation


def test_truncated_last_line_does_not_break_reading_or_writing(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl")
    log.record("test", "avant", "fallback", [])
    with log.path.open("ab") as fh:  # a crash in the middle of a write
        fh.write(b'{"time": "2025-01-01T00:00:00", "channel": "test", "quest')
    assert [e["question"] for e in log.entries()] == ["avant"]
    log.record("test", "après", "clarify", [])
    assert [e["question"] for e in log.entries()] == ["avant", "après"]


def test_foreign_lines_and_bad_bytes_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "u.jsonl"
    path.write_bytes(b'[1, 2]\n\xff\xfe\n{"no": "question"}\n{"question": "ok", "status": "fallback"}\n')
    assert [e["question"] for e in UnansweredLog(path).entries()] == ["ok"]


def test_reviewing_the_log_does_not_grow_it(data_copy: Path) -> None:
    from bot.config import load_config

    config = load_config(data_copy)
    engine = Engine(config, UnansweredLog.from_config(config))  # this one logs its clarify and fallback replies
    review(engine, LOGGED)
    assert not engine.config.paths.unanswered_log.exists()
    engine.reply("et son budget ?")
    assert engine.config.paths.unanswered_log.exists()  # the engine itself still logs
