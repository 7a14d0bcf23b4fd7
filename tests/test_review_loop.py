"""The review loop: group paraphrases, drop noise, assign groups to intents or out of scope, remember them."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from bot.engine import Engine
from bot.tools.review import is_noise, review

STAFF = ["combien d'agents à la DCI ?", "combien d'employés à la DCI", "effectif de la DCI",
         "combien de personnes travaillent à la DCI"]
NEW = "la dci existe depuis combien de temps au juste"  # no example of the data says it so
NOISE = ["???", "asdfghjkl", "x" * 10_000]


def write_log(path: Path, questions: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"time": "2026-12-01T10:00:00+0000", "channel": "console", "status": "fallback",
                         "question": q, "candidates": []}, ensure_ascii=False) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_paraphrases_make_one_group_and_noise_is_dropped(engine: Engine) -> None:
    assert all(is_noise(q) for q in NOISE) and not any(is_noise(q) for q in STAFF)
    groups = review(engine, [{"question": q, "status": "fallback"} for q in STAFF + NOISE])
    assert [sorted(t for t, _ in g.questions) for g in groups] == [sorted(STAFF)]


def test_review_text_says_how_many_lines_were_noise(run_faqbot, tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", STAFF + NOISE)
    result = run_faqbot("review", "--log", str(log))
    assert result.returncode == 0
    assert "4 unanswered question(s) in 1 group(s)" in result.stdout
    assert "(3 line(s) that are no question left out" in result.stdout
    assert "xxxxxxxxxx" not in result.stdout and "asdfghjkl" not in result.stdout


def test_assign_out_of_scope_writes_the_group_keeps_comments_checks_and_remembers(run_faqbot, data_copy: Path) -> None:
    log = write_log(data_copy.parent / "var" / "unanswered.jsonl", STAFF + ["parlez-vous anglais ?"])
    oos = data_copy.parent / "intents" / "out-of-scope.toml"
    before = oos.read_text(encoding="utf-8")
    result = run_faqbot("review", "--config", str(data_copy), "--assign", f"{STAFF[0]}=out_of_scope")
    assert result.returncode == 0, result.stderr
    assert "4 question(s) added to the out-of-scope questions" in result.stdout
    assert "faqbot check: 0 error(s)" in result.stdout
    after = oos.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip().removesuffix("]"))  # comments and layout kept, questions appended
    assert all(json.dumps(q, ensure_ascii=False) in after for q in STAFF)
    again = run_faqbot("review", "--config", str(data_copy))
    assert "parlez-vous anglais" in again.stdout and "effectif" not in again.stdout
    assert log.with_suffix(".reviewed.jsonl").exists()


def test_assign_to_an_intent_adds_its_examples(run_faqbot, data_copy: Path) -> None:
    write_log(data_copy.parent / "var" / "unanswered.jsonl", [NEW])
    result = run_faqbot("review", "--config", str(data_copy), "--assign", f"{NEW}=dci.creation")
    assert result.returncode == 0, result.stderr
    assert "1 question(s) added to the examples of dci.creation" in result.stdout
    text = (data_copy.parent / "intents" / "dci.toml").read_text(encoding="utf-8")
    block = text[text.index('id = "dci.creation"'):]
    assert f'"{NEW}",' in block[: block.index("]")]


def test_an_unknown_intent_is_refused_with_a_suggestion(run_faqbot, data_copy: Path) -> None:
    write_log(data_copy.parent / "var" / "unanswered.jsonl", [NEW])
    result = run_faqbot("review", "--config", str(data_copy), "--assign", f"{NEW}=dci.creaton")
    assert result.returncode == 1
    assert result.stderr == ("error: 'dci.creaton' is not an intent of the data (nor out_of_scope); "
                             "did you mean dci.creation?\n")


def test_interactive_review_assigns_skips_and_quits(run_faqbot, data_copy: Path) -> None:
    write_log(data_copy.parent / "var" / "unanswered.jsonl",
              [NEW] * 3 + ["parlez-vous anglais ?"] * 2 + ["où acheter du pain ?"])
    result = run_faqbot("review", "--config", str(data_copy), "--interactive",
                        input="dci.creaton\ndci.creation\n\nq\n")
    assert result.returncode == 0, result.stderr
    assert "did you mean dci.creation?" in result.stdout  # a typo is asked again, not written
    assert "1 question(s) added to the examples of dci.creation" in result.stdout
    assert "parlez-vous" not in (data_copy.parent / "intents" / "out-of-scope.toml").read_text(encoding="utf-8")
    again = run_faqbot("review", "--config", str(data_copy))
    assert "parlez-vous anglais" in again.stdout and "depuis combien de temps" not in again.stdout


def test_the_readme_review_loop_runs_as_written(run_faqbot, data_copy: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- review-example -->\n```\n")[1].split("```\n<!-- /review-example -->")[0]
    root = data_copy.parent
    write_log(root / "var" / "unanswered.jsonl",
              [STAFF[0], *STAFF, "???", "parlez-vous anglais ?"])
    steps = ["$ " + step for step in block.split("$ ") if step.strip()]
    assert len(steps) == 3
    for step in steps:
        command, _, expected = step.partition("\n")
        result = run_faqbot(*shlex.split(command)[2:], "--config", str(data_copy))
        assert result.returncode == 0, result.stderr
        got = result.stdout.replace(f"{root}/", "")
        # Confidences move a little whenever the data or the matcher changes; the rest must read as written.
        assert re.sub(r"\(0\.\d\d\)", "(…)", got.strip()) == re.sub(r"\(0\.\d\d\)", "(…)", expected.strip())
