"""Safe reload: broken data leaves the old answers serving and reports the errors; good data is picked up."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from bot.channels.console import chat
from bot.config import load_config
from bot.engine import ANSWERED, Engine
from bot.text import french_typography

QUESTION = "Quand la DCI a-t-elle été créée ?"
OLD_DATE = "1er septembre 2010"


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def serving(config_path: Path) -> Engine:
    engine = Engine(load_config(config_path))
    reply = engine.reply(QUESTION)
    assert (reply.status, reply.intent) == (ANSWERED, "dci.creation") and OLD_DATE in reply.text
    return engine


def test_broken_data_keeps_the_old_answers_and_reports_the_errors(data_copy: Path) -> None:
    engine = serving(data_copy)
    old_kb = engine.kb
    knowledge = data_copy.parent / "knowledge" / "dci.toml"
    replace_in(knowledge, 'title = "Quand la DCI a-t-elle été créée ?"', 'title = "Quand la DCI')  # unterminated
    problems = engine.reload()
    errors = [p for p in problems if p.severity == "error"]
    assert errors and errors[0].path == knowledge and "TOML syntax error" in errors[0].message
    assert engine.kb is old_kb
    reply = engine.reply(QUESTION)
    assert (reply.status, reply.intent) == (ANSWERED, "dci.creation") and OLD_DATE in reply.text


def test_an_intent_pointing_nowhere_is_refused_too(data_copy: Path) -> None:
    engine = serving(data_copy)
    replace_in(data_copy.parent / "intents" / "dci.toml", 'answer = "dci.creation"', 'answer = "dci.naissance"')
    problems = engine.reload()
    assert any(p.item == "dci.creation" and "dci.naissance" in p.message for p in problems)
    assert engine.reply(QUESTION).intent == "dci.creation"


def test_a_good_change_is_picked_up(data_copy: Path) -> None:
    engine = serving(data_copy)
    replace_in(data_copy.parent / "knowledge" / "dci.toml", "créée le 1er septembre 2010.",
               "créée le 1er septembre 2010, par décret.")
    assert engine.reload() == []
    assert "par décret" in engine.reply(QUESTION).text


def test_replies_during_a_reload_come_from_the_old_or_the_new_data(data_copy: Path) -> None:
    engine = serving(data_copy)
    replace_in(data_copy.parent / "knowledge" / "dci.toml", "créée le 1er septembre 2010.",
               "créée le 1er septembre 2010, par décret.")
    texts: list[str] = []
    failures: list[Exception] = []
    done = threading.Event()

    def ask() -> None:
        try:
            while not done.is_set():
                texts.append(engine.reply(QUESTION).text)
        except Exception as exc:  # the test reports whatever went wrong in the thread
            failures.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        assert engine.reload() == []
        deadline = time.monotonic() + 10
        at_reload = len(texts)
        while len(texts) < at_reload + 3 and not failures and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        done.set()
        asker.join(timeout=30)
    assert failures == []
    assert all(OLD_DATE in t for t in texts)
    assert "par décret" in texts[-1]


def test_console_reload_reports_a_refusal_then_a_success(data_copy: Path) -> None:
    engine = serving(data_copy)
    intents = data_copy.parent / "intents" / "dci.toml"
    original = intents.read_text(encoding="utf-8")
    intents.write_text(original + "\n[[intents]]\nid = 3\n", encoding="utf-8")
    out = io.StringIO()
    chat(engine, stdin=io.StringIO("/reload\n"), out=out)
    assert "Rechargement refusé, les anciennes données restent en service" in out.getvalue()
    assert "dci.toml" in out.getvalue()
    intents.write_text(original, encoding="utf-8")
    out = io.StringIO()
    chat(engine, stdin=io.StringIO(f"/reload\n{QUESTION}\n"), out=out)
    assert french_typography(f"Données rechargées : {len(engine.kb.intents)} intentions.") in out.getvalue()
    assert OLD_DATE in out.getvalue()


INVENTED = ("créée le 1er septembre 2010.", "créée le 1er septembre 2010. Elle compte 120 agents.")


def test_an_invented_fact_is_refused_on_reload_and_the_console_says_why(data_copy: Path) -> None:
    engine = serving(data_copy)
    replace_in(data_copy.parent / "knowledge" / "dci.toml", *INVENTED)
    [error] = engine.reload()
    assert (error.item, error.severity) == ("dci.creation", "error") and "'120'" in error.message
    assert "120 agents" not in engine.reply(QUESTION).text
    out = io.StringIO()
    chat(engine, stdin=io.StringIO("/reload\n"), out=out)
    assert "Rechargement refusé, les anciennes données restent en service" in out.getvalue()
    assert "number '120' does not appear in the source document" in out.getvalue()


def test_start_up_refuses_an_invented_fact_in_one_clear_message(run_faqbot, data_copy: Path) -> None:
    replace_in(data_copy.parent / "knowledge" / "dci.toml", *INVENTED)
    result = run_faqbot("ask", "--config", str(data_copy), "Quand la DCI a-t-elle été créée ?")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("error: the data is broken, run `faqbot check`:\n")
    assert "dci.toml" in result.stderr and "dci.creation: number '120'" in result.stderr
    assert "Traceback" not in result.stderr


def test_warnings_never_block_a_reload(data_copy: Path) -> None:
    engine = serving(data_copy)
    knowledge = data_copy.parent / "knowledge" / "dci.toml"
    knowledge.write_text(knowledge.read_text(encoding="utf-8") + '\n[[answers]]\nid = "dci.inutile"\n'
                         'title = "Une réponse que nulle intention ne donne"\ntext = "La DCI."\nsource = "DCI"\n',
                         encoding="utf-8")
    assert engine.reload() == []
    assert "dci.inutile" in engine.kb.answers
