"""End-to-end tests of the Telegram front end: the real python-telegram-bot and the real engine
against the fake Bot API server of tests/fakebotapi.py (no mocks)."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import io
import logging
import os
import shutil
import socket
import stat
from pathlib import Path

import httpx
import pytest
from fakebotapi import ADMIN, BOT_USERNAME, GROUP, OTHER_USER, USER, Call, FakeBotAPI, faqbot_telegram, plain_text, stop

from bot.channels.telegram import (
    ADMIN_COMMANDS,
    ADMIN_ONLY,
    CLARIFY_TEXT,
    DATA_LIMIT,
    ERROR,
    FLOOD,
    NON_TEXT,
    NONE_OF_THESE,
    PUBLIC_COMMANDS,
    TEXT_LIMIT,
    UNKNOWN_COMMAND,
    SecretRedactor,
    intent_data,
    intent_from_data,
    render_reply,
    split_text,
)
from bot.config import Config
from bot.engine import ANSWERED, CLARIFY, FALLBACK, Engine
from bot.knowledge import KnowledgeBase
from bot.reply import Reply, Suggestion

REPO = Path(__file__).resolve().parent.parent
MAIL = "tristan.coudert@diplomatie.gouv.fr"


async def ask(api: FakeBotAPI, text: str, user: dict = USER, chat: dict | None = None,
              reply_to: dict | None = None) -> Call:
    """Send `text` as `user` and return the bot's next message in that chat."""
    api.send_text(text, user, chat, reply_to)
    return await api.wait_call("sendMessage", chat_id=(chat or user)["id"])


def seen(call: Call) -> str:
    """The text as the user sees it (HTML parsed)."""
    return plain_text(call.text, call.params.get("parse_mode"))


# -- commands ------------------------------------------------------------------------------------
async def test_start_registers_the_menu_and_offers_topic_buttons(start_bot, fake_api: FakeBotAPI,
                                                                 kb: KnowledgeBase) -> None:
    await start_bot(admin_ids=(ADMIN["id"],))
    welcome = await ask(fake_api, "/start")
    assert welcome.params["parse_mode"] == "HTML"
    assert seen(welcome).startswith("Bonjour\u00a0! Je réponds à vos questions")
    assert [label for label, _ in welcome.buttons] == [t.title for t in kb.topics if t.id != "conversation"]
    assert fake_api.commands_for() == ["start", "sujets", "contact", "source", "aide", "langue"]
    admin_scope = {"type": "chat", "chat_id": ADMIN["id"]}
    assert fake_api.commands_for(admin_scope) == ["start", "sujets", "contact", "source", "aide", "langue", "reload",
                                                  "stats"]


@pytest.mark.parametrize("command", [c.command for c in PUBLIC_COMMANDS + ADMIN_COMMANDS] + ["help"])
async def test_every_command_replies(start_bot, fake_api: FakeBotAPI, command: str) -> None:
    await start_bot(admin_ids=(ADMIN["id"],))
    reply = await ask(fake_api, f"/{command}", user=ADMIN)
    assert seen(reply).strip()
    assert seen(reply) not in (UNKNOWN_COMMAND, ADMIN_ONLY, ERROR)


async def test_contact_and_source_show_the_configured_answers(start_bot, fake_api: FakeBotAPI,
                                                              kb: KnowledgeBase, config: Config) -> None:
    await start_bot()
    contact = await ask(fake_api, "/contact")
    assert kb.answers[config.telegram.contact_answer].text in seen(contact)
    source = await ask(fake_api, "/source")
    assert "05/11/2015" in seen(source)
    after_contact = await ask(fake_api, "et son mail ?")  # /contact sets the context, like an answer
    assert MAIL in seen(after_contact)


async def test_unknown_command_gets_a_hint_in_private(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    assert seen(await ask(fake_api, "/inconnue")) == UNKNOWN_COMMAND


# -- questions ---------------------------------------------------------------------------------
async def test_question_gets_an_html_answer_without_a_typing_action(start_bot, fake_api: FakeBotAPI,
                                                                    kb: KnowledgeBase) -> None:
    await start_bot()
    fake_api.send_text("Qu'est-ce que la DCI ?")
    answer = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    expected = kb.answer_of("dci.definition")
    assert fake_api.calls_to("sendChatAction") == []  # an answer takes a millisecond: "typing…" would waste the budget
    assert answer.text.startswith(f"<b>{html.escape(expected.title, quote=False)}</b>\n\n"
                                  f"{html.escape(expected.text, quote=False)}")
    assert 1 <= len(answer.buttons) <= 3
    label, data = answer.buttons[0]
    query_id = fake_api.press(answer, data)
    related = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert seen(related).startswith(label)
    await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)
    assert fake_api.unanswered_callbacks() == []


async def test_a_fallback_about_a_subject_offers_its_questions_as_buttons(start_bot, fake_api: FakeBotAPI,
                                                                          kb: KnowledgeBase) -> None:
    await start_bot()
    fake_api.send_text("Quel est le budget annuel de la DCI ?")  # the page gives no budget
    fallback = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert seen(fallback).startswith("Je n'ai pas cette information au sujet de la DCI.")
    assert 1 <= len(fallback.buttons) <= 3
    titles = {kb.answer_of(i).title: i for i in kb.intents if kb.intents[i].subject == "dci"}
    label, data = fallback.buttons[0]
    assert label in titles
    fake_api.press(fallback, data)
    answer = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert seen(answer).startswith(label)


def _clarifying_question(engine: Engine) -> str:
    from bot.dialogue import Conversation

    for question in ("ssi", "asi", "nouakchott", "le ssi", "les asi"):
        if engine.reply(question, Conversation()).status == CLARIFY:
            return question
    raise AssertionError("none of the probe questions gets a clarify reply any more: update the list")


async def test_clarify_offers_buttons_and_a_pick_answers(start_bot, fake_api: FakeBotAPI,
                                                         telegram_engine: Engine) -> None:
    await start_bot()
    question = _clarifying_question(telegram_engine)
    clarify = await ask(fake_api, question)
    assert seen(clarify) == CLARIFY_TEXT
    labels = [label for label, _ in clarify.buttons]
    assert labels[-1] == NONE_OF_THESE
    assert 2 <= len(labels) <= 4
    label, data = clarify.buttons[0]
    query_id = fake_api.press(clarify, data)
    answer = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert seen(answer).startswith(label)
    await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)


async def test_none_of_these_invites_rephrasing_and_is_logged(start_bot, fake_api: FakeBotAPI,
                                                               telegram_engine: Engine) -> None:
    await start_bot()
    question = _clarifying_question(telegram_engine)
    clarify = await ask(fake_api, question)
    query_id = fake_api.press(clarify, clarify.button(NONE_OF_THESE))
    answer = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert "reformuler" in seen(answer)
    await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)
    logged = telegram_engine.config.paths.unanswered_log.read_text(encoding="utf-8").splitlines()
    assert any('"none_of_these"' in line and f'"question": "{question}"' in line for line in logged)


async def test_follow_up_uses_the_context_of_its_own_chat(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    assert "Tristan Coudert" in seen(await ask(fake_api, "qui dirige le SSI de Nouakchott ?"))
    assert "La DCI" in seen(await ask(fake_api, "Qu'est-ce que la DCI ?", user=OTHER_USER))
    assert MAIL in seen(await ask(fake_api, "et son mail ?"))
    elsewhere = seen(await ask(fake_api, "et son mail ?", user=OTHER_USER))  # this chat talks about the DCI
    assert MAIL not in elsewhere
    assert "au sujet de la DCI" in elsewhere


async def test_topic_browser_edits_one_message(start_bot, fake_api: FakeBotAPI, kb: KnowledgeBase) -> None:
    await start_bot()
    menu = await ask(fake_api, "/sujets")
    topic = next(t for t in kb.topics if t.id == "dci")
    fake_api.press(menu, menu.button(topic.title))
    questions = await fake_api.wait_call("editMessageText", chat_id=USER["id"])
    assert questions.params["message_id"] == str(menu.result["message_id"])
    assert [label for label, _ in questions.buttons][:-1] == [kb.answers[a].title for a in topic.answers]
    answer_title = kb.answers[topic.answers[1]].title
    fake_api.press(menu, questions.button(answer_title))
    answer = await fake_api.wait_call("editMessageText", chat_id=USER["id"])
    assert seen(answer).startswith(answer_title)
    assert kb.answers[topic.answers[1]].text in seen(answer)
    fake_api.press(menu, answer.button("Retour aux questions"))
    back = await fake_api.wait_call("editMessageText", chat_id=USER["id"])
    assert back.text == questions.text
    fake_api.press(menu, back.button("Tous les sujets"))
    home = await fake_api.wait_call("editMessageText", chat_id=USER["id"])
    assert home.buttons == menu.buttons
    await asyncio.sleep(0.05)
    assert fake_api.unanswered_callbacks() == []
    assert len(fake_api.calls_to("sendMessage", USER["id"])) == 1  # everything happened in one message


async def test_stale_button_gets_a_notice(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    menu = await ask(fake_api, "/sujets")
    menu.result["reply_markup"]["inline_keyboard"].append([{"text": "vieux", "callback_data": "t:99"}])
    query_id = fake_api.press(menu, "t:99")
    notice = await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)
    assert "plus valable" in notice.params["text"]


async def test_inline_query_offers_up_to_three_articles(start_bot, fake_api: FakeBotAPI, kb: KnowledgeBase) -> None:
    await start_bot()
    fake_api.inline_query("qui dirige le ssi de nouakchott")
    answer = await fake_api.wait_call("answerInlineQuery")
    results = answer.get("results")
    assert 1 <= len(results) <= 3
    assert results[0]["title"] == kb.answer_of("nouakchott.chef").title
    assert "Tristan Coudert" in plain_text(results[0]["input_message_content"]["message_text"], "HTML")
    fake_api.inline_query("")
    empty = await fake_api.wait_call("answerInlineQuery")
    assert empty.get("results") == []
    assert empty.get("button")["start_parameter"] == "inline"


# -- groups and other messages -----------------------------------------------------------------
async def test_group_answers_commands_mentions_and_replies_only(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    fake_api.send_text("quelqu'un sait qui dirige le SSI de Nouakchott ?", chat=GROUP)
    fake_api.send_photo(chat=GROUP)
    fake_api.send_text("/inconnue", chat=GROUP)
    mention = await ask(fake_api, f"@{BOT_USERNAME} qui dirige le SSI de Nouakchott ?", chat=GROUP)
    assert "Tristan Coudert" in seen(mention)
    assert mention.get("reply_parameters")["message_id"] > 0  # quotes the asker in a group
    reply = await ask(fake_api, "et son mail ?", chat=GROUP, reply_to=mention.result)
    assert MAIL in seen(reply)
    command = await ask(fake_api, f"/aide@{BOT_USERNAME}", chat=GROUP)
    assert "mentionnez-moi" in seen(command)
    fake_api.send_text("/aide@un_autre_bot", chat=GROUP)
    assert "Je vous en prie" in seen(await ask(fake_api, f"@{BOT_USERNAME} merci", chat=GROUP))
    assert len(fake_api.calls_to("sendMessage", GROUP["id"])) == 4  # chatter, photo and foreign commands ignored


async def test_non_text_message_gets_one_polite_line(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    fake_api.send_photo()
    reply = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert seen(reply) == NON_TEXT
    fake_api.send_photo(chat=GROUP, reply_to=reply.result | {"chat": GROUP})
    in_group = await fake_api.wait_call("sendMessage", chat_id=GROUP["id"])
    assert seen(in_group) == NON_TEXT


async def test_flood_gets_one_notice(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot(flood_messages=2, flood_seconds=1.0)
    for _ in range(4):
        fake_api.send_text("bonjour")
    for _ in range(5):  # 4 answers, paced, and one notice
        await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    await asyncio.sleep(0.1)
    texts = [seen(c) for c in fake_api.calls_to("sendMessage", USER["id"])]
    assert texts.count(FLOOD) == 1 and len(texts) == 5


# -- administration ------------------------------------------------------------------------------
@pytest.fixture
def data_copy(config: Config, tmp_path: Path) -> Config:
    """The shipped config on a private copy of knowledge/ and intents/ that a test may edit."""
    for name in ("knowledge", "intents"):
        shutil.copytree(getattr(config.paths, name), tmp_path / name)
    paths = dataclasses.replace(config.paths, knowledge=tmp_path / "knowledge", intents=tmp_path / "intents",
                                cache=tmp_path / "cache", unanswered_log=tmp_path / "unanswered.jsonl",
                                persistence=tmp_path / "telegram.sqlite3")
    return dataclasses.replace(config, paths=paths)


async def test_reload_is_for_admins_and_keeps_serving_on_errors(start_bot, fake_api: FakeBotAPI,
                                                                 data_copy: Config) -> None:
    engine = Engine(data_copy)
    await start_bot(engine=engine, config=data_copy, admin_ids=(ADMIN["id"],))
    dci = data_copy.paths.knowledge / "dci.toml"
    original = dci.read_text(encoding="utf-8")
    dci.write_text(original.replace("est une direction commune", "est une direction mixte"), encoding="utf-8")

    assert seen(await ask(fake_api, "/reload")) == ADMIN_ONLY
    assert "direction commune" in seen(await ask(fake_api, "Qu'est-ce que la DCI ?", user=OTHER_USER))

    (data_copy.paths.intents / "dci.toml").write_text("cassé = [", encoding="utf-8")
    refused = await ask(fake_api, "/reload", user=ADMIN)
    assert seen(refused).startswith("Rechargement refusé")
    assert "dci.toml" in seen(refused)
    assert "direction commune" in seen(await ask(fake_api, "Qu'est-ce que la DCI ?", user=ADMIN))

    shutil.copy(REPO / "intents" / "dci.toml", data_copy.paths.intents / "dci.toml")
    # An answer's text changed: the decision is learned again (what the key-term guard covers changed), seconds.
    fake_api.send_text("/reload", ADMIN)
    reloaded = await fake_api.wait_call("sendMessage", chat_id=ADMIN["id"], timeout=60.0)
    assert seen(reloaded).startswith("Données rechargées")
    assert "direction mixte" in seen(await ask(fake_api, "Qu'est-ce que la DCI ?", user=ADMIN))


async def test_stats_count_questions_by_outcome(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot(admin_ids=(ADMIN["id"],))
    for question in ("Qu'est-ce que la DCI ?", "bonjour", "Quel temps fera-t-il demain à Paris ?"):
        await ask(fake_api, question, user=OTHER_USER)
    assert seen(await ask(fake_api, "/stats", user=OTHER_USER)) == ADMIN_ONLY
    stats = seen(await ask(fake_api, "/stats", user=ADMIN))
    assert "questions reçues\u00a0: 3" in stats
    assert "sans réponse\u00a0: 1 (33\u00a0%)" in stats


# -- staying up ----------------------------------------------------------------------------------
async def test_a_failed_send_is_reported_and_the_bot_survives(start_bot, fake_api: FakeBotAPI,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    await start_bot()
    fake_api.fail("sendMessage", status=400, times=1)  # a 400 is not retried (5xx are: see test_reliability.py)
    fake_api.send_text("Qu'est-ce que la DCI ?")
    apology = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert seen(apology) == ERROR
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
    answer = await ask(fake_api, "qui dirige le SSI de Nouakchott ?")
    assert "Tristan Coudert" in seen(answer)


async def test_flood_limit_is_retried_by_the_rate_limiter(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    fake_api.fail("sendMessage", status=429, times=1, retry_after=1)
    answer = await ask(fake_api, "bonjour")
    assert "Bonjour" in seen(answer)
    assert [c.error for c in fake_api.calls_to("sendMessage")] == [429, None]


async def test_get_updates_outage_loses_no_update(start_bot, fake_api: FakeBotAPI) -> None:
    await start_bot()
    await fake_api.wait_call("getUpdates", started=True)  # the outage also breaks this pending long poll
    fake_api.fail_for("getUpdates", seconds=2.0)
    fake_api.send_text("Qu'est-ce que la DCI ?")
    fake_api.send_text("bonjour", user=OTHER_USER)
    answer = await fake_api.wait_call("sendMessage", chat_id=USER["id"], timeout=10)
    other = await fake_api.wait_call("sendMessage", chat_id=OTHER_USER["id"], timeout=5)
    assert "DCI" in seen(answer) and "Bonjour" in seen(other)
    failed = [c for c in fake_api.calls_to("getUpdates") if c.error]
    assert len(failed) >= 2


async def test_conversation_and_stats_survive_a_restart(start_bot, fake_api: FakeBotAPI,
                                                        telegram_config: Config) -> None:
    app = await start_bot(admin_ids=(ADMIN["id"],))
    assert "Tristan Coudert" in seen(await ask(fake_api, "qui dirige le SSI de Nouakchott ?", user=ADMIN))
    await start_bot.stop(app)
    assert telegram_config.paths.persistence.exists()
    await start_bot(admin_ids=(ADMIN["id"],))
    assert MAIL in seen(await ask(fake_api, "et son mail ?", user=ADMIN))
    assert "questions reçues\u00a0: 2" in seen(await ask(fake_api, "/stats", user=ADMIN))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_receives_updates_with_the_secret(start_bot, fake_api: FakeBotAPI) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/faqbot"
    await start_bot(webhook_secret="s3cret_token", webhook_url=url, webhook_listen="127.0.0.1", webhook_port=port)
    assert fake_api.webhook == {"url": url, "secret_token": "s3cret_token"}
    assert "Tristan Coudert" in seen(await ask(fake_api, "qui dirige le SSI de Nouakchott ?"))
    async with httpx.AsyncClient() as client:
        forged = await client.post(url, json={"update_id": 999}, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
    assert forged.status_code == 403


# -- rendering -------------------------------------------------------------------------------------
@pytest.mark.parametrize("intent", sorted(REPO.joinpath("intents").glob("*.toml")), ids=lambda p: p.stem)
def test_callback_data_fits_64_bytes_and_round_trips(kb: KnowledgeBase, intent: Path) -> None:
    for intent_id in (i for i in kb.intents if kb.intents[i].path.name == intent.name):
        data = intent_data(kb, intent_id)
        assert len(data.encode()) <= DATA_LIMIT
        assert intent_from_data(kb, data) == intent_id


def test_long_intent_ids_use_an_index(kb: KnowledgeBase) -> None:
    long_id = "x" * 80
    fake = dataclasses.replace(kb, intents={**kb.intents, long_id: next(iter(kb.intents.values()))})
    assert intent_from_data(fake, intent_data(fake, long_id)) == long_id


def test_long_replies_are_split_and_every_text_is_escaped() -> None:
    paragraph = "Les <b>balises</b> & « entités » restent du texte. " * 40
    reply = Reply("q", ANSWERED, "\n\n".join([paragraph] * 5), intent="x", title="<Titre> & co",
                  related=(Suggestion("y", "Autre ?"),))
    chunks = render_reply(reply)
    assert len(chunks) >= 3
    assert chunks[0].startswith("<b>&lt;Titre&gt; &amp; co</b>\n\n")
    assert all(len(plain_text(c, "HTML")) <= TEXT_LIMIT for c in chunks)
    assert "".join(plain_text(c, "HTML") for c in chunks).count("balises") == 200
    assert split_text("a" * 5000) == ["a" * TEXT_LIMIT, "a" * 904]
    assert split_text("😀" * 3000) == ["😀" * 2048, "😀" * 952]  # Telegram counts UTF-16 units


@pytest.mark.parametrize("status", [ANSWERED, CLARIFY, FALLBACK])
def test_every_reply_kind_renders_in_one_message(telegram_engine: Engine, status: str) -> None:
    from bot.dialogue import Conversation

    question = {ANSWERED: "Qu'est-ce que la DCI ?", CLARIFY: _clarifying_question(telegram_engine),
                FALLBACK: "Quel temps fera-t-il demain à Paris ?"}[status]
    reply = telegram_engine.reply(question, Conversation())
    assert reply.status == status
    assert len(render_reply(reply)) == 1


def test_the_token_is_never_logged() -> None:
    token = "123:SECRET-token"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretRedactor([token]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getUpdates", token)
        said = "Aïcha wrote: where is my passport"  # an exception message may quote a user
        try:
            raise RuntimeError(f"{said} https://api.telegram.org/bot{token}/sendMessage")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    assert token not in stream.getvalue()
    assert "bot<redacted>/getUpdates" in stream.getvalue()
    assert "RuntimeError" in stream.getvalue()  # the traceback keeps the type and frames...
    assert said not in stream.getvalue()  # ...not the message


# -- the command line --------------------------------------------------------------------------------
def test_missing_token_exits_2_with_one_line(run_faqbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    result = run_faqbot("telegram")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "BotFather" in result.stderr and "TELEGRAM_BOT_TOKEN" in result.stderr


def _private_config(tmp_path: Path, cache: Path) -> Path:
    """A copy of config.toml on the repository's data, with var/ in tmp_path and the session's index cache."""
    for name in ("knowledge", "intents"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / ".cache").symlink_to(cache)
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    return tmp_path / "config.toml"


async def test_faqbot_telegram_serves_and_stops_cleanly(fake_api: FakeBotAPI, tmp_path: Path,
                                                        telegram_engine: Engine) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake_api.token, "PYTHONIOENCODING": "utf-8"}
    config = _private_config(tmp_path, telegram_engine.config.paths.cache)
    fake_api.fail("getMe", status=502)  # a transient failure at start-up is retried, not fatal
    async with faqbot_telegram("--config", str(config), "--base-url", fake_api.base_url, "--verbose",
                               env=env, cwd=REPO) as process:
        await fake_api.wait_call("getUpdates", timeout=90, started=True)
        assert "Tristan Coudert" in seen(await ask(fake_api, "qui dirige le SSI de Nouakchott ?"))
        _, stderr = await stop(process)
    assert process.returncode == 0
    assert [c.error for c in fake_api.calls_to("getMe")] == [502, None]
    assert fake_api.token not in stderr.decode()
    assert "Application started" in stderr.decode()
    assert stat.S_IMODE((tmp_path / "var" / "telegram.sqlite3").stat().st_mode) == 0o600



async def test_a_number_out_of_range_says_so_and_none_of_these_logs_the_question(
        start_bot, fake_api: FakeBotAPI, telegram_engine: Engine) -> None:
    await start_bot()
    question = _clarifying_question(telegram_engine)
    clarify = await ask(fake_api, question)
    again = await ask(fake_api, "9")
    assert seen(again) != CLARIFY_TEXT and "9" not in seen(again).split()  # the engine's « un numéro entre 1 et n »
    assert [label for label, _ in again.buttons] == [label for label, _ in clarify.buttons]
    query_id = fake_api.press(again, again.button(NONE_OF_THESE))
    await fake_api.wait_call("answerCallbackQuery", callback_query_id=query_id)
    logged = telegram_engine.config.paths.unanswered_log.read_text(encoding="utf-8").splitlines()
    assert any('"none_of_these"' in line and f'"question": "{question}"' in line for line in logged)
    assert not any('"none_of_these"' in line and '"question": "9"' in line for line in logged)
