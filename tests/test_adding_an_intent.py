"""The README's "Adding an intent" worked example, step by step, on a temporary copy of the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_config
from bot.engine import Engine
from bot.text import french_typography
from bot.tools.evaluation import evaluate

REPO = Path(__file__).resolve().parent.parent

# Step 1 and step 2 of the README, verbatim.
ANSWER = '''[[answers]]
id = "conversation.langue"
title = "Dans quelle langue répondez-vous ?"
text = """Je réponds uniquement en français. Posez-moi votre question en français, même avec des fautes ou sans accents."""
source = "Conversation (aucune source)"
'''
INTENT = '''[[intents]]
id = "conversation.langue"
answer = "conversation.langue"
examples = [
  "parlez-vous anglais ?",
  "do you speak english",
  "tu parles anglais",
  "réponse en anglais svp",
  "can you answer in english",
  "vous parlez arabe ?",
  "quelle langue parles-tu",
  "english please",
  "tu comprends l'anglais ?",
  "dans quelle langue répondez-vous ?",
]
'''
NEW_ANSWER = french_typography(
    "Je réponds uniquement en français. Posez-moi votre question en français, même avec des fautes ou sans accents."
)


def append(path: Path, block: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + block, encoding="utf-8")


def test_adding_an_intent_end_to_end(data_copy: Path, run_faqbot) -> None:
    root, config = data_copy.parent, str(data_copy)
    # The bot is running on the data (step 6 reloads it), and the figures before the change are known.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    with subprocess.Popen([sys.executable, "-m", "bot", "chat", "--config", config], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                          cwd=REPO, env=env) as chat:
        assert chat.stdout is not None
        while "/quit pour sortir" not in (line := chat.stdout.readline()):
            assert line, "the console stopped before its welcome message"
        before = evaluate(Engine(load_config(data_copy)), root / "tests" / "eval",
                          leave_one_out=False)

        # 1-2. Write the answer and the intent.
        append(root / "knowledge" / "conversation.toml", ANSWER)
        append(root / "intents" / "conversation.toml", INTENT)

        # 3. Check the data.
        checked = run_faqbot("check", "--config", config)
        assert checked.returncode == 0, checked.stdout
        assert "0 error(s)" in checked.stdout
        # Not even a warning about the new intent, but for its missing English and Arabic versions (issue 15).
        about_it = [line for line in checked.stdout.splitlines() if "conversation.langue" in line]
        assert all(" translation " in line or "(examples_" in line for line in about_it), about_it

        # 4. Measure: at most one question at the threshold's edge turns wrong (the learned threshold moves
        # a little with any new example), and the new intent is not confused with another one.
        measured = run_faqbot("eval", "--config", config, "--no-loo", "--json")
        assert measured.returncode == 0, measured.stderr
        after = json.loads(measured.stdout)
        assert round(after["metrics"]["wrong_answer_rate"] * before.total) <= before.wrong_answers + 1
        assert all("conversation.langue" not in (c["expected"], c["got"]) for c in after["confusions"])

        # 5. Try it.
        asked = run_faqbot("ask", "--config", config, "--json", input="parlez-vous anglais ?\ndo you speak english\n")
        replies = [json.loads(line) for line in asked.stdout.splitlines()]
        assert [(r["status"], r["intent"]) for r in replies] == [("answered", "conversation.langue")] * 2
        assert replies[0]["answer"] == NEW_ANSWER
        explained = run_faqbot("ask", "--config", config, "--explain", "tu parles anglais")
        assert "decision     answered conversation.langue" in explained.stdout

        # 6. Reload the running bot.
        out, err = chat.communicate("/reload\nparlez-vous anglais ?\n/quit\n", timeout=60)
    assert chat.returncode == 0, err
    reloaded = out.split("Données rechargées", 1)
    assert len(reloaded) == 2, out
    assert NEW_ANSWER in reloaded[1]


def test_readme_shows_the_same_steps() -> None:
    """Once the maintainers' section is in README.md, its snippets are the ones this test runs."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    if "## Adding an intent" not in readme:
        pytest.skip("README.md has no « Adding an intent » section yet")
    section = readme.split("## Adding an intent", 1)[1]
    for snippet in (ANSWER, INTENT, "faqbot check", "faqbot eval", 'faqbot ask "parlez-vous anglais ?"', "/reload"):
        assert snippet.strip() in section
