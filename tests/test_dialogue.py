from __future__ import annotations

import pytest

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


def test_a_position_in_the_last_list_answers_that_entry(engine: Engine) -> None:
    replies = ask_all(engine, "quels programmes le SSI de Nouakchott met-il en œuvre ?", "le premier de la liste ?",
                      "et le dernier ?", "l'avant-dernier ?", "le 3e ?")
    assert [r.intent for r in replies] == ["nouakchott.programmes", "programme.jussec", "programme.mildt",
                                           "programme.alcao", "programme.asaca"]


@pytest.mark.parametrize(("questions", "intents"), [
    (("What programmes does the SSI of Nouakchott run?", "the second one", "and the last one?"),
     ["nouakchott.programmes", "programme.aforma", "programme.mildt"]),
    (("ما هي برامج مصلحة الأمن الداخلي في نواكشوط؟", "والثالث؟", "وما قبل الأخير؟"),
     ["nouakchott.programmes", "programme.asaca", "programme.alcao"]),
])
def test_a_position_is_understood_in_english_and_arabic(engine: Engine, questions: tuple[str, ...],
                                                        intents: list[str]) -> None:
    assert [r.intent for r in ask_all(engine, *questions)] == intents


@pytest.mark.parametrize(("questions", "intents"), [
    # What else the message asks is asked of the entry at that position.
    (("Who is on the team of the SSI in Nouakchott?", "the second one, what is his role?"),
     ["nouakchott.equipe", "nouakchott.officier_liaison"]),
    (("من هم أعضاء فريق مصلحة الأمن الداخلي في نواكشوط؟", "وضح لي الثاني"),  # « explain the second to me »
     ["nouakchott.equipe", "nouakchott.officier_liaison"]),
    (("Quels sont les programmes de coopération du SSI de Nouakchott ?", "le dernier, il est financé par qui ?"),
     ["nouakchott.programmes", "programme.mildt"]),
    (("Qui compose l'équipe du SSI de Nouakchott ?", "le deuxième, pourriez-vous développer ?"),  # a request verb
     ["nouakchott.equipe", "nouakchott.officier_liaison"]),
])
def test_a_position_with_a_question_about_its_entry_answers_that_entry(engine: Engine, questions: tuple[str, ...],
                                                                       intents: list[str]) -> None:
    assert [r.intent for r in ask_all(engine, *questions)] == intents


def test_a_position_whose_entry_does_not_answer_says_so_about_that_entry(engine: Engine) -> None:
    """The third programme (ASACA) is not said to be financed by anyone: no other entry is offered instead
    (the MILDT's answer says who finances it)."""
    replies = ask_all(engine, "Quels sont les programmes de coopération du SSI de Nouakchott ?",
                      "le troisième, il est financé par qui ?")
    assert replies[1].status == FALLBACK
    assert "ASACA" in replies[1].text.splitlines()[0]  # « … au sujet du programme ASACA. »


@pytest.mark.parametrize("follow_up", ["Et celui de la DGSI ?", "and the NSA's?"])
def test_a_follow_up_naming_something_the_data_does_not_know_is_not_answered(engine: Engine,
                                                                            follow_up: str) -> None:
    """A name in capitals the data does not use is about something else, whatever the conversation's subject."""
    replies = ask_all(engine, "Quel est le fax du SSI de Nouakchott ?", follow_up, "et son adresse ?")
    assert [r.status for r in replies] == [ANSWERED, FALLBACK, ANSWERED]
    assert replies[2].intent == "nouakchott.adresse"  # the conversation goes on


def test_an_arabic_follow_up_may_glue_and_to_its_question_word(engine: Engine) -> None:
    """« ومن يرأسها؟ » is « و » + « من يرأسها؟ », who heads it: the facet's trigger, « من يرأس », is asked."""
    replies = ask_all(engine, "أين يقع مقر مصلحة الأمن الداخلي في نواكشوط؟", "ومن يرأسها؟")
    assert [(r.status, r.intent) for r in replies] == [
        (ANSWERED, "nouakchott.localisation"), (ANSWERED, "nouakchott.chef")]


def test_an_entry_of_the_last_list_is_named_by_its_words(engine: Engine) -> None:
    en = ask_all(engine, "What programmes does the SSI of Nouakchott run?", "tell me more about the one on cocaine",
                 "and the aviation one?", "how much did the one on cocaine cost?")
    assert [r.intent for r in en[:3]] == ["nouakchott.programmes", "programme.alcao", "programme.asaca"]
    assert en[3].status == FALLBACK  # it names the ALCAO, but the page gives no cost
    assert "(ALCAO)" in en[3].text.splitlines()[0]  # « I do not have this information about … (ALCAO) »
    fr = ask_all(engine, "Quels sont les programmes du SSI de Nouakchott ?",
                 "et celui qui est financé par une mission interministérielle ?", "et celui sur la formation ?")
    assert [r.intent for r in fr] == ["nouakchott.programmes", "programme.mildt", "programme.aforma"]


def test_a_facet_follow_up_must_cover_the_other_words_asked(engine: Engine) -> None:
    replies = ask_all(engine, "Qui est le chef du SSI de Nouakchott ?", "il a un numéro de portable perso ?",
                      "et son numéro ?")
    assert [r.status for r in replies] == [ANSWERED, FALLBACK, ANSWERED]
    assert replies[2].intent == "nouakchott.telephone"


def test_a_position_past_the_end_of_the_list_says_how_long_it_is(engine: Engine) -> None:
    replies = ask_all(engine, "qui compose le SSI de Nouakchott ?", "le deuxième ?", "et le septième ?")
    assert [r.intent for r in replies[:2]] == ["nouakchott.equipe", "nouakchott.officier_liaison"]
    assert replies[2].status == FALLBACK
    assert "3 éléments" in replies[2].text


def test_a_position_without_a_list_or_with_other_words_is_not_a_list_reference(engine: Engine) -> None:
    no_list = ask_all(engine, "c'est quoi la DCI ?", "et le premier ?")
    date = ask_all(engine, "quels programmes le SSI de Nouakchott met-il en œuvre ?",
                   "la DCI a été créée le 1er septembre ?")
    assert no_list[1].intent not in {"programme.jussec", "nouakchott.csi", "ssi.echanges"}
    assert date[1].intent == "dci.creation"


def test_an_object_pronoun_points_at_what_the_last_answer_said(engine: Engine) -> None:
    replies = ask_all(engine, "d'où vient la coopération franco-mauritanienne en sécurité intérieure ?",
                      "qui la met en œuvre ?")
    assert [r.intent for r in replies] == ["nouakchott.historique", "nouakchott.historique"]
    # Asking a facet is not a question about the last answer: after the DCI, « qui la dirige ? » falls back.
    dci = ask_all(engine, "c'est quoi la DCI ?", "qui la dirige ?")
    assert dci[1].status == FALLBACK


def test_the_subject_takes_the_right_article_after_de(engine: Engine) -> None:
    replies = ask_all(engine, "qu'est-ce que le programme JUSSEC ?", "et son adresse mail ?")
    assert replies[1].status == FALLBACK
    assert "au sujet du programme JUSSEC" in replies[1].text


def test_people_name_their_institution_only_without_a_described_subject(kb) -> None:
    from bot.dialogue import mentioned_subjects

    def named(text: str) -> list[str]:
        return mentioned_subjects(kb, kb.normalize(text))

    assert named("combien de policiers en France ?") == ["police"]
    assert named("les policiers et les gendarmes du SSI de Nouakchott") == ["ssi_nouakchott"]
    assert named("les gendarmes de la DCI et la police nationale") == ["dci", "police"]
    assert named("how many police officers work for the DCI?") == ["dci"]
