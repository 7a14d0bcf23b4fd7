from __future__ import annotations

from bot.dialogue import Conversation
from bot.engine import ANSWERED, FALLBACK, Engine


def ask_all(engine: Engine, *questions: str, gap: float = 5.0) -> list:
    conversation = Conversation()
    return [engine.reply(q, conversation, now=1000.0 + n * gap) for n, q in enumerate(questions)]


def test_follow_up_uses_the_last_subject(engine: Engine) -> None:
    replies = ask_all(engine, "qui dirige le SSI de Nouakchott ?", "et son adresse mail ?", "et le fax ?")
    assert [(r.status, r.intent) for r in replies] == [
        (ANSWERED, "nouakchott.chef"), (ANSWERED, "nouakchott.courriel"), (ANSWERED, "nouakchott.fax")]


def test_follow_up_on_the_dci(engine: Engine) -> None:
    replies = ask_all(engine, "c'est quoi la DCI ?", "elle a été créée quand ?")
    assert [r.intent for r in replies] == ["dci.definition", "dci.creation"]


def test_follow_up_never_borrows_another_subjects_answer(engine: Engine) -> None:
    replies = ask_all(engine, "c'est quoi la DCI ?", "qui la dirige ?")
    assert replies[1].status == FALLBACK
    assert "Coudert" not in replies[1].text
    assert "la DCI" in replies[1].text


def test_bare_subject_asks_the_same_thing_about_it(engine: Engine) -> None:
    replies = ask_all(engine, "c'est quoi la DCI ?", "et l'ASI ?")
    assert replies[1].intent == "asi.definition"


def test_context_expires(engine: Engine, config) -> None:
    ttl = config.dialogue.context_ttl_seconds
    fresh = ask_all(engine, "qui dirige le SSI de Nouakchott ?", "et le fax ?")
    stale = ask_all(engine, "c'est quoi la DCI ?", "qui la dirige ?", gap=ttl + 1)
    assert fresh[1].intent == "nouakchott.fax"
    # Without the DCI as context the question stands alone: it is not the DCI-specific refusal.
    assert "au sujet de la DCI" not in stale[1].text


def test_small_talk_keeps_the_subject(engine: Engine) -> None:
    replies = ask_all(engine, "qui dirige le SSI de Nouakchott ?", "merci", "et son téléphone ?")
    assert [r.intent for r in replies] == ["nouakchott.chef", "conversation.merci", "nouakchott.telephone"]


def test_the_service_means_the_one_of_the_conversation(engine: Engine) -> None:
    replies = ask_all(engine, "qui est l'officier de liaison du SSI de Nouakchott ?", "et le chef du service ?",
                      "il a quel grade ?")
    assert [r.intent for r in replies] == ["nouakchott.officier_liaison", "nouakchott.chef", "nouakchott.chef"]


def test_a_new_subject_with_a_new_question_is_not_the_same_question(engine: Engine) -> None:
    replies = ask_all(engine, "qui travaille au SSI de Nouakchott ?", "et il se trouve où, ce service ?")
    assert [r.intent for r in replies] == ["nouakchott.equipe", "nouakchott.localisation"]
