"""`faqbot eval` validates its sets against the data, says what it did not measure, and writes --report DIR."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.engine import Engine
from bot.tools.evaluation import EvaluationSetError, evaluate, headline

QUESTIONS = '''
[[questions]]
text = "c koi la dci"
intent = "dci.definition"

[[questions]]
text = "quand la DCI a-t-elle été créée ?"
intent = "dci.creation"

[[questions]]
text = "comment faire un gâteau au chocolat ?"
'''


def question_set(folder: Path, questions: str = QUESTIONS, dialogs: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "questions.toml").write_text(questions, encoding="utf-8")
    (folder / "dialogs.toml").write_text(dialogs, encoding="utf-8")
    return folder


def test_a_label_naming_no_intent_is_reported_not_counted(engine: Engine, tmp_path: Path) -> None:
    folder = question_set(tmp_path / "set", QUESTIONS.replace('"dci.creation"', '"dci.creaton"'),
                          '[[dialogs]]\nname = "d"\nturns = [{ text = "et son mail ?", intent = "ssi.mail" }]\n')
    with pytest.raises(EvaluationSetError) as caught:
        evaluate(engine, folder, leave_one_out=False)
    message = str(caught.value)
    assert message.startswith("2 label(s) name no intent:")
    assert (f"{folder / 'questions.toml'}: question 'quand la DCI a-t-elle été créée ?': intent 'dci.creaton' "
            "is not an intent of the data; did you mean dci.creation?") in message
    assert f"{folder / 'dialogs.toml'}: dialog 'd' turn 1: intent 'ssi.mail'" in message


def test_intents_without_a_labelled_question_are_named(engine: Engine, tmp_path: Path) -> None:
    report = evaluate(engine, question_set(tmp_path / "set"), leave_one_out=False)
    assert "dci.definition" not in report.unlabelled and "nouakchott.chef" in report.unlabelled
    assert len(report.unlabelled) == len(engine.kb.intents) - 2
    assert headline(report)[-1].startswith(f"not measured: {len(report.unlabelled)} intent(s) without a labelled")


def test_a_set_without_dialogs_run_without_leave_one_out_prints_no_empty_figures(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    report = evaluate(engine, question_set(tmp_path / "set"), leave_one_out=False)
    text = "\n".join(headline(report))
    assert "(0/0)" not in text and "dialog success" not in text and "leave-one-out" not in text
    assert "in-scope accuracy" in text


def test_plot_without_matplotlib_fails_at_once_with_the_right_install_line(monkeypatch, capsys, private_config: Path,
                                                                           tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the evaluation ran before the missing matplotlib was reported")

    monkeypatch.setattr("bot.tools.evaluation.evaluate", never)
    code = cli.main(["eval", "--config", str(private_config), "--no-loo", "--plot", str(tmp_path / "x.png")])
    assert code == 1
    assert capsys.readouterr().err == ("error: --plot needs matplotlib; install it with: pip install -e '.[plot]' "
                                       "in the checkout (or pip install matplotlib)\n")


def test_report_dir_has_the_confusion_matrix_and_the_misclassified_questions(run_faqbot, tmp_path: Path) -> None:
    folder = question_set(tmp_path / "set", QUESTIONS + '\n[[questions]]\ntext = "où se trouve le SSI ?"\n'
                                                        'intent = "dci.definition"\n')
    result = run_faqbot("eval", "--set", str(folder), "--no-loo", "--report", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    matrix = data["confusion_matrix"]
    assert matrix["rows"][-1] == "(out of scope)" and matrix["columns"][-1] == "(not answered)"
    row = matrix["matrix"][matrix["rows"].index("dci.definition")]
    assert sum(row) == 2 and row[matrix["columns"].index("dci.definition")] == 1
    [wrong] = data["misclassified"]
    assert (wrong["question"], wrong["expected"]) == ("où se trouve le SSI ?", "dci.definition")
    assert wrong["got"] != "dci.definition" and wrong["candidates"]
    assert f"report written to {tmp_path / 'out' / 'report.json'}" in result.stderr
