"""Reliability and security (issue 6): bad input, faults, secrets, admin commands, flood guard.

Everything runs for real: `faqbot ask --json` and `faqbot telegram` as subprocesses, the Telegram
front end as python-telegram-bot against the fake Bot API server of tests/fakebotapi.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest
from fakebotapi import ADMIN, OTHER_USER, USER, Call, FakeBotAPI, faqbot_telegram, plain_text, stop

import bot.channels.telegram.transport as telegram_transport
from bot.channels.telegram import ADMIN_ONLY, ERROR, FLOOD, NON_TEXT, UNKNOWN_COMMAND, render_reply
from bot.config import Config
from bot.dialogue import Conversation
from bot.engine import ANSWERED, Engine

REPO = Path(__file__).resolve().parent.parent
# Ten questions the engine answers on their own, each with a different answer: a reply tells which one it was.
QUESTIONS = (
    "Qu'est-ce que la DCI ?",
    "qui dirige le SSI de Nouakchott ?",
    "Quand la DCI a-t-elle été créée ?",
    "c'est quoi un ASI ?",
    "quelle est l'adresse mail du SSI de Nouakchott ?",
    "quel est le numéro de téléphone du SSI de Nouakchott ?",
    "combien de pays couvre le réseau des ASI ?",
    "d'où viennent ces informations ?",
    "quelles sont les missions du SSI ?",
    "où se trouve le SSI de Nouakchott ?",
)


def seen(call: Call) -> str:
    return plain_text(call.text, call.params.get("parse_mode"))


def person(number: int) -> dict:
    return {"id": 50_000 + number, "is_bot": False, "first_name": f"Usager {number}", "language_code": "fr"}


def delivered(api: FakeBotAPI, chat_id: int) -> list[Call]:
    """The messages the user really received (failed, hung and cut attempts excluded)."""
    return [c for c in api.calls_to("sendMessage", chat_id) if c.done and not c.error]


def answer_index(engine: Engine) -> dict[str, int]:
    """Map the text a user sees for each of QUESTIONS to its position (checks they are all different)."""
    texts = {}
    for index, question in enumerate(QUESTIONS):
        reply = engine.reply(question, Conversation(), channel="test")
        assert reply.status == ANSWERED, f"{question!r} is no longer answered: update QUESTIONS"
        texts[plain_text(render_reply(reply)[0], "HTML")] = index
    assert len(texts) == len(QUESTIONS), "two of QUESTIONS now get the same answer: update QUESTIONS"
    return texts


async def wait_delivered(api: FakeBotAPI, chat_id: int, count: int, timeout: float) -> list[Call]:
    deadline = time.monotonic() + timeout
    while len(delivered(api, chat_id)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return delivered(api, chat_id)


def private_config(tmp_path: Path, cache: Path, log_level: str = "WARNING") -> Path:
    """config.toml on the repository's data, with var/ (persistence, unanswered log) under tmp_path."""
    for name in ("knowledge", "intents"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / ".cache").symlink_to(cache)
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace('level = "WARNING"', f'level = "{log_level}"')
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return tmp_path / "config.toml"


# -- bad input through `faqbot ask --json` -------------------------------------------------------------
STDIN_CATALOGUE: list[bytes] = [
    b"",                                                         # empty line
    b"   \t  ",                                                  # blank line
    ("qui dirige le SSI de Nouakchott ? " * 300)[:10_000].encode(),  # 10,000 characters
    b"dci " * 262_144,                                           # a 1 MB line
    b"\xff\xfe invalid UTF-8",                                   # not UTF-8 at all
    b"caf\xe9 en latin-1",                                       # another encoding
    b"\xed\xa0\x80 surrogate",                                   # an encoded lone surrogate (CESU-8)
    b"trunc\xc3",                                                # a cut multi-byte character
    b"<b>gras</b> qui dirige le SSI ?",                          # HTML injection
    b"</a>",
    b"&amp; &lt;script&gt;alert(1)&lt;/script&gt; &#0;",
    b"*_[lien](http://exemple.org)`code`_* ~~barr\xc3\xa9~~",    # Markdown injection
    "😀🙏🏽👨‍👩‍👧🇫🇷".encode(),                                         # only emoji
    "من يدير مصلحة الأمن الداخلي في نواكشوط؟".encode(),          # Arabic
    b"'; DROP TABLE intents; -- OR 1=1",                         # SQL-like
    b"\x00\x07\x1b[31m rouge \xe2\x80\xae\xe2\x80\x8b\xef\xbb\xbf",  # controls, RTL override, zero-width, BOM
    b"/inconnue",                                                # unknown command
    b"/aide maintenant s'il vous pla\xc3\xaet",                  # command with arguments
    b"Qu'est-ce que la DCI ?",                                   # and the process still answers properly
]


def _utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_ask_json_survives_the_bad_input_catalogue(run_faqbot, tmp_path: Path, engine: Engine) -> None:
    config = private_config(tmp_path, engine.config.paths.cache)
    result = run_faqbot("ask", "--json", "--config", str(config), input=b"\n".join(STDIN_CATALOGUE) + b"\n",
                        timeout=120)
    assert result.returncode == 0
    invalid = [n for n, line in enumerate(STDIN_CATALOGUE, 1) if _utf8(line) is None]
    assert result.stderr.decode().splitlines() == [f"error: line {n} is not valid UTF-8 text; skipped" for n in invalid]
    objects = [json.loads(line) for line in result.stdout.decode().splitlines()]
    valid = [text for line in STDIN_CATALOGUE if (text := _utf8(line)) is not None]
    assert [o["question"].strip() for o in objects] == [v.strip() for v in valid]  # one per valid line, in order
    for obj in objects:
        assert obj["status"] in {"answered", "clarify", "fallback"}
        assert obj["answer"].strip()
        assert 0.0 <= obj["confidence"] <= 1.0
    assert objects[0]["answer"].startswith("Posez-moi une question")  # empty and blank: an invitation
    assert objects[1]["answer"] == objects[0]["answer"]
    assert objects[-1]["intent"] == engine.reply(QUESTIONS[0], Conversation(), channel="test").intent
    assert stat.S_IMODE((tmp_path / "var" / "unanswered.jsonl").stat().st_mode) == 0o600


@pytest.mark.parametrize("argument", ["", " ", "x" * 10_000])
def test_ask_takes_empty_and_huge_arguments(run_faqbot, argument: str) -> None:
    result = run_faqbot("ask", "--json", argument)
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["status"] == "fallback"


def test_ask_refuses_an_argument_that_is_not_utf8_in_one_line(run_faqbot) -> None:
    result = run_faqbot("ask", "--json", os.fsdecode(b"caf\xe9"))  # the shell passes the bytes as they are
    assert result.returncode == 2
    assert result.stderr.strip() == "error: the question is not valid UTF-8 text"
    assert result.stdout == ""


@pytest.mark.parametrize("markup", ["</a>", "<a>", "à"])
def test_markup_alone_is_not_answered_as_a_goodbye(engine: Engine, markup: str) -> None:
    assert engine.reply(markup, Conversation(), channel="test").intent != "conversation.au_revoir"


# -- bad input through Telegram ----------------------------------------------------------------------
TELEGRAM_CATALOGUE = {
    "empty": "",
    "blank": "   \n\t ",
    "10,000 characters": ("qui dirige le SSI de Nouakchott ? " * 300)[:10_000],
    "1 MB": "dci " * 262_144,
    "HTML tags": "<b>gras</b> qui dirige le SSI ?",
    "closing tag": "</a>",
    "entities": "&amp; &lt;script&gt;alert(1)&lt;/script&gt; &#0;",
    "Markdown": "*_[lien](http://exemple.org)`code`_* ~~barré~~",
    "only emoji": "😀🙏🏽👨‍👩‍👧🇫🇷",
    "Arabic": "من يدير مصلحة الأمن الداخلي في نواكشوط؟",
    "SQL-like": "'; DROP TABLE intents; -- OR 1=1",
    "controls and bidi": "\x00\x07\x1b[31m rouge \u202e\u200b\ufeff",
    "lone surrogates": "\ud800 bonjour \udfff",  # valid JSON ("\\ud800"), not valid text
    "unknown command": "/inconnue",
    "unknown command with arguments": "/inconnue a b c",
    "command with arguments": "/aide maintenant s'il vous plaît",
    "start with a payload": "/start inline",
    "admin command with arguments": "/reload maintenant",
    "command for another bot": "/aide@un_autre_bot",
}


def _expected(engine: Engine, text: str) -> str | None:
    """What the user should see first for `text`: a fixed text for non-questions, else the engine's reply."""
    if text == "":
        return NON_TEXT  # Telegram has no empty text message: the bot sees a message without text
    if text.startswith("/inconnue") or text.startswith("/aide@"):
        return UNKNOWN_COMMAND
    if text.startswith("/reload"):
        return ADMIN_ONLY
    if text.startswith("/"):
        return None  # /aide, /start: their own texts (tested in test_telegram.py)
    question = text.encode("utf-8", "replace").decode("utf-8")
    return plain_text(render_reply(engine.reply(question, Conversation(), channel="test"))[0], "HTML")


@pytest.mark.parametrize("text", TELEGRAM_CATALOGUE.values(), ids=TELEGRAM_CATALOGUE.keys())
async def test_telegram_gives_one_clear_reply_to_each_bad_input(start_bot, fake_api: FakeBotAPI,
                                                                telegram_engine: Engine,
                                                                caplog: pytest.LogCaptureFixture, text: str) -> None:
    await start_bot()
    fake_api.send_text(text)
    fake_api.send_text(QUESTIONS[0])  # answered right after: the bad input left the bot working
    first, after = await wait_delivered(fake_api, USER["id"], 2, timeout=15)
    assert seen(first).strip() and seen(first) != ERROR
    expected = _expected(telegram_engine, text)
    if expected is not None:
        assert seen(first) == expected
    assert seen(after).startswith(telegram_engine.kb.answer_of("dci.definition").title)
    assert len(delivered(fake_api, USER["id"])) == 2  # exactly one reply to the bad input
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- faults injected by the Bot API ------------------------------------------------------------------
async def test_a_500_on_send_is_retried_and_answered_once(start_bot, fake_api: FakeBotAPI,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    await start_bot()
    fake_api.fail("sendMessage", status=500, times=2)
    fake_api.send_text(QUESTIONS[0])
    answers = await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    await asyncio.sleep(0.3)
    assert [c.error for c in fake_api.calls_to("sendMessage", USER["id"])] == [500, 500, None]
    assert len(answers) == 1 and "La DCI" in seen(answers[0])
    assert sum("retry" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING) == 2
    assert fake_api.token not in caplog.text


async def test_a_429_is_waited_out_and_answered_once(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    fake_api.fail("sendMessage", status=429, times=1, retry_after=1)
    fake_api.send_text(QUESTIONS[1])
    answers = await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    await asyncio.sleep(0.3)
    attempts = fake_api.calls_to("sendMessage", USER["id"])
    assert [c.error for c in attempts] == [429, None]
    assert attempts[1].time - attempts[0].time >= 1.0  # retry_after honoured
    assert len(delivered(fake_api, USER["id"])) == len(answers) == 1


async def test_a_send_hanging_past_the_timeout_is_not_resent_and_holds_up_no_other_chat(
        start_bot, fake_api: FakeBotAPI, telegram_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """After a read time-out the request may have reached Telegram: resending could show the answer twice."""
    texts = answer_index(telegram_engine)
    await start_bot()
    fake_api.hang("sendMessage", seconds=6.0)  # longer than PTB's 5 s read timeout; never processed
    fake_api.send_text(QUESTIONS[0])
    hung = await fake_api.wait_call("sendMessage", chat_id=USER["id"], started=True)
    fake_api.send_text(QUESTIONS[1], user=OTHER_USER)
    other = await wait_delivered(fake_api, OTHER_USER["id"], 1, timeout=3)
    assert other and other[0].time - hung.time < 3  # the other chat did not wait for the hung send
    while not hung.done:  # the fake drops the hung request at the end of its 6 s
        await asyncio.sleep(0.05)
    fake_api.send_text(QUESTIONS[2])  # the chat goes on
    answers = await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    await asyncio.sleep(0.3)
    assert [c.error for c in fake_api.calls_to("sendMessage", USER["id"])] == [504, None]  # dropped, not resent
    assert len(answers) == 1 and texts[seen(answers[0])] == 2
    assert any("not resent, it may have arrived" in r.getMessage() for r in caplog.records)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert ERROR not in [seen(c) for c in delivered(fake_api, USER["id"])]  # no apology for what may have arrived
    assert fake_api.token not in caplog.text


async def test_get_updates_failing_with_502_for_10_s_loses_and_duplicates_nothing(start_bot, fake_api: FakeBotAPI,
                                                                                 telegram_engine: Engine) -> None:
    texts = answer_index(telegram_engine)
    await start_bot()
    await fake_api.wait_call("getUpdates", started=True)
    fake_api.fail_for("getUpdates", seconds=10.0, status=502)
    outage_end = time.perf_counter() + 10.0
    users = [person(n) for n in range(3)]
    for round_ in range(3):  # users keep writing during the outage
        for number, user in enumerate(users):
            fake_api.send_text(QUESTIONS[(number + round_) % len(QUESTIONS)], user=user)
        await asyncio.sleep(3.0)
    for number, user in enumerate(users):
        answers = await wait_delivered(fake_api, user["id"], 3, timeout=25)
        assert [texts[seen(a)] for a in answers] == [(number + r) % len(QUESTIONS) for r in range(3)]
        assert all(a.time >= outage_end - 0.5 for a in answers)
    await asyncio.sleep(0.3)
    assert [len(delivered(fake_api, u["id"])) for u in users] == [3, 3, 3]
    assert sum(c.error == 502 for c in fake_api.calls_to("getUpdates")) >= 3


async def test_connections_refused_for_5_s_duplicate_nothing(start_bot, fake_api: FakeBotAPI,
                                                             telegram_engine: Engine,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """A request cut after it was sent is not resent (it may have arrived); refused connections are retried."""
    texts = answer_index(telegram_engine)
    await start_bot()
    fake_api.refuse_connections(5.0, on="sendMessage")  # the answer's request is cut, then nothing connects
    fake_api.send_text(QUESTIONS[0])
    while not fake_api.outages:
        await asyncio.sleep(0.01)
    start, seconds = fake_api.outages[0]
    fake_api.send_text(QUESTIONS[1], user=OTHER_USER)  # Telegram keeps what users send meanwhile
    fake_api.send_text(QUESTIONS[2], user=OTHER_USER)
    others = await wait_delivered(fake_api, OTHER_USER["id"], 2, timeout=20)
    await asyncio.sleep(0.3)
    assert [c.error for c in fake_api.calls_to("sendMessage", USER["id"])] == [504]  # cut: not resent
    assert [texts[seen(a)] for a in others] == [1, 2] and others[0].time >= start + seconds
    assert len(delivered(fake_api, OTHER_USER["id"])) == 2
    assert any("retry" in r.getMessage() for r in caplog.records)  # the refused connections were retried
    assert fake_api.token not in caplog.text


async def test_an_undeliverable_reply_is_logged_and_apologised_for(start_bot, fake_api: FakeBotAPI,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(telegram_transport, "SEND_RETRY_DELAYS", (0.05, 0.05))  # give up after 3 tries, quickly
    await start_bot()
    fake_api.fail("sendMessage", status=500, times=3)
    update = fake_api.send_text(QUESTIONS[0])
    apology = await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    await asyncio.sleep(0.3)
    assert [seen(c) for c in delivered(fake_api, USER["id"])] == [ERROR] == [seen(apology[0])]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert f"sendMessage to chat {USER['id']} failed 3 times, giving up: Internal Server Error" in errors
    assert f"Handling update {update['update_id']} (message) in chat {USER['id']} failed" in errors


# -- secrets and file permissions ----------------------------------------------------------------------
SENTINEL = "424242:SENTINEL-token_must-never-appear"


async def test_the_token_appears_nowhere_even_with_forced_errors(tmp_path: Path, telegram_engine: Engine) -> None:
    config = private_config(tmp_path, telegram_engine.config.paths.cache, log_level="DEBUG")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": SENTINEL, "PYTHONIOENCODING": "utf-8"}
    async with FakeBotAPI(token=SENTINEL) as api:
        api.fail("getMe", status=502)  # start-up retried
        # No --verbose: DEBUG comes from the config, the most logged.
        async with faqbot_telegram("--config", str(config), "--base-url", api.base_url, "--admin", str(ADMIN["id"]),
                                   env=env, cwd=REPO) as process:
            await api.wait_call("getUpdates", timeout=90, started=True)
            api.fail("sendMessage", status=500, times=1)  # retried
            api.send_text(QUESTIONS[0])
            await wait_delivered(api, USER["id"], 1, timeout=10)
            api.fail("sendMessage", status=400, times=1)  # not retried: traceback in the log, apology
            api.send_text("Quel temps fera-t-il demain à Paris ?")  # a fallback: the unanswered log is written
            await wait_delivered(api, USER["id"], 2, timeout=10)
            api.send_text("/reload", user=OTHER_USER)  # refused and logged
            await wait_delivered(api, OTHER_USER["id"], 1, timeout=10)
            api.fail_for("getUpdates", seconds=1.5, status=502)
            api.refuse_connections(1.0, on="sendMessage")
            api.send_text(QUESTIONS[1], user=OTHER_USER)
            await wait_delivered(api, OTHER_USER["id"], 2, timeout=20)
            stdout, stderr = await stop(process)
        sent = [c.text for c in api.calls if c.method == "sendMessage"]
    assert process.returncode == 0
    assert "Refused /reload to user 1002" in stderr.decode()
    # PTB logs the Bot API URL (token included) at DEBUG: the line is there, its argument hidden
    assert "Set Bot API URL: …" in stderr.decode()
    written = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and not path.is_symlink()}
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {"var/telegram.sqlite3", "var/unanswered.jsonl"}
    secret = SENTINEL.split(":", 1)[1].encode()
    for name, content in {"stdout": stdout, "stderr": stderr, **{str(p): b for p, b in written.items()},
                          "messages to users": "\n".join(sent).encode()}.items():
        assert secret not in content, f"the token leaked into {name}"
    for name in ("telegram.sqlite3", "unanswered.jsonl"):
        assert stat.S_IMODE((tmp_path / "var" / name).stat().st_mode) == 0o600


async def test_a_rejected_token_is_one_line_without_the_token(tmp_path: Path, telegram_engine: Engine) -> None:
    config = private_config(tmp_path, telegram_engine.config.paths.cache)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": SENTINEL, "PYTHONIOENCODING": "utf-8"}
    async with FakeBotAPI() as api:  # it knows another token: 401 Unauthorized, as for a revoked token
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "telegram", "--config", str(config), "--base-url", api.base_url,
            cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert stderr.decode().splitlines()[-1] == ("error: Telegram rejected the token in TELEGRAM_BOT_TOKEN: check it "
                                                "with @BotFather (/token)")
    assert SENTINEL.split(":", 1)[1] not in (stdout + stderr).decode()


async def test_persistence_is_private_whatever_the_umask(start_bot, fake_api: FakeBotAPI,
                                                         telegram_config: Config) -> None:
    previous = os.umask(0o022)
    try:
        app = await start_bot()
        fake_api.send_text(QUESTIONS[0])
        await wait_delivered(fake_api, USER["id"], 1, timeout=10)
        await start_bot.stop(app)  # flushes the persistence
    finally:
        os.umask(previous)
    path = telegram_config.paths.persistence
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name(f"{path.name}.tmp").exists()


# -- admin commands ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["/reload", "/stats", "/reload maintenant", "/stats@faq_test_bot"])
async def test_admin_commands_refuse_others_politely_and_log_it(start_bot, fake_api: FakeBotAPI, command: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    await start_bot(admin_ids=(ADMIN["id"],))
    fake_api.send_text(command, user=OTHER_USER)
    refusal = await wait_delivered(fake_api, OTHER_USER["id"], 1, timeout=10)
    assert seen(refusal[0]) == ADMIN_ONLY
    name = command.split()[0].split("@")[0]
    assert f"Refused {name} to user {OTHER_USER['id']} in chat {OTHER_USER['id']}: not in [telegram] admin_ids" in [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    fake_api.send_text(command, user=ADMIN)
    granted = await wait_delivered(fake_api, ADMIN["id"], 1, timeout=60)  # a reload takes seconds
    assert seen(granted[0]) not in (ADMIN_ONLY, ERROR)


async def test_no_admin_configured_means_nobody_is_admin(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot(admin_ids=())
    fake_api.send_text("/stats", user=ADMIN)
    assert seen((await wait_delivered(fake_api, ADMIN["id"], 1, timeout=10))[0]) == ADMIN_ONLY


BREAKAGES = {
    "TOML syntax error": lambda root: (root / "intents" / "dci.toml").write_text("cassé = [", encoding="utf-8"),
    "bytes that are not UTF-8": lambda root: (root / "knowledge" / "dci.toml").write_bytes(b"\xff\xfe\x00garbage"),
    "empty answers file": lambda root: (root / "knowledge" / "dci.toml").write_text("", encoding="utf-8"),
    "answers file deleted": lambda root: (root / "knowledge" / "dci.toml").unlink(),
    "folder instead of a file": lambda root: ((root / "intents" / "dci.toml").unlink(),
                                              (root / "intents" / "dci.toml").mkdir()),
    "wrong types": lambda root: (root / "intents" / "dci.toml").write_text('[[intents]]\nid = 3\nexamples = 5\n',
                                                                           encoding="utf-8"),
    "every intent deleted": lambda root: [p.unlink() for p in (root / "intents").glob("*.toml")],
}


async def test_a_broken_data_file_on_reload_never_takes_the_bot_down(start_bot, fake_api: FakeBotAPI, config: Config,
                                                                     tmp_path: Path) -> None:
    import dataclasses

    root = tmp_path / "data"
    for name in ("knowledge", "intents"):
        shutil.copytree(getattr(config.paths, name), root / name)
    paths = dataclasses.replace(config.paths, knowledge=root / "knowledge", intents=root / "intents",
                                cache=config.paths.cache, unanswered_log=tmp_path / "unanswered.jsonl",
                                persistence=tmp_path / "telegram.sqlite3")
    data_copy = dataclasses.replace(config, paths=paths)
    engine = Engine(data_copy)
    await start_bot(engine=engine, config=data_copy, admin_ids=(ADMIN["id"],), flood_messages=100)
    dci = engine.kb.answer_of("dci.definition").text
    for count, (kind, breakage) in enumerate(BREAKAGES.items(), 1):
        backup = tmp_path / "backup"
        shutil.copytree(root, backup)
        breakage(root)
        fake_api.send_text("/reload", user=ADMIN)
        fake_api.send_text(QUESTIONS[0], user=ADMIN)
        report, answer = (await wait_delivered(fake_api, ADMIN["id"], 2 * count, timeout=30))[-2:]
        assert seen(report).startswith("Rechargement refusé"), kind
        assert dci in seen(answer), kind  # the old data keeps serving
        shutil.rmtree(root)
        backup.rename(root)
    fake_api.send_text("/reload", user=ADMIN)
    reloaded = (await wait_delivered(fake_api, ADMIN["id"], 2 * len(BREAKAGES) + 1, timeout=30))[-1]
    assert seen(reloaded).startswith("Données rechargées")


# -- flood guard -----------------------------------------------------------------------------------------
async def test_a_flood_gets_one_notice_and_every_answer_in_order_at_a_safe_pace(
        start_bot, fake_api: FakeBotAPI, telegram_engine: Engine) -> None:
    texts = answer_index(telegram_engine)
    await start_bot(flood_messages=3, flood_seconds=1.0)
    sequence = list(range(len(QUESTIONS))) + [0, 1]  # 12 messages in a few milliseconds
    for index in sequence:
        fake_api.send_text(QUESTIONS[index])
    fake_api.send_text(QUESTIONS[5], user=OTHER_USER)  # another user, meanwhile
    received = await wait_delivered(fake_api, USER["id"], len(sequence) + 1, timeout=20)
    await asyncio.sleep(0.3)
    notices = [c for c in received if seen(c) == FLOOD]
    answers = [c for c in received if seen(c) != FLOOD]
    assert len(notices) == 1 and len(delivered(fake_api, USER["id"])) == len(sequence) + 1
    assert [texts[seen(a)] for a in answers] == sequence  # all answered, in order
    times = [a.time for a in answers]
    assert all(later - earlier >= 1.0 - 0.2 for earlier, later in zip(times, times[3:], strict=False))  # <= 3/s
    other = delivered(fake_api, OTHER_USER["id"])
    assert len(other) == 1 and other[0].time < times[-1]  # not queued behind the flood


async def test_unreadable_persistence_is_kept_aside_and_the_bot_starts(start_bot, fake_api: FakeBotAPI,
                                                                       telegram_config: Config,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    path = telegram_config.paths.persistence
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x80\x04 not a pickle at all")
    app = await start_bot()
    fake_api.send_text(QUESTIONS[0])
    replies = await wait_delivered(fake_api, USER["id"], 1, timeout=10)
    assert seen(replies[0]) != ERROR
    await start_bot.stop(app)
    kept = list(path.parent.glob(f"{path.name}.unreadable-*"))
    assert [k.read_bytes() for k in kept] == [b"\x80\x04 not a pickle at all"]  # nothing the bot had is lost
    assert path.exists() and path.read_bytes() != kept[0].read_bytes()  # a fresh, readable file replaced it
    assert any("kept it as" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
