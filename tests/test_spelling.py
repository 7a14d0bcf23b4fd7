"""Misspellings are corrected towards the data's words, and only words that are no words."""

from __future__ import annotations

import pytest

from bot.engine import ANSWERED, Engine
from bot.spelling import is_word


@pytest.mark.parametrize(("token", "word"), [
    ("pleuvoir", True), ("telephone", True), ("cooperation", True), ("hello", True), ("فاكس", True),
    ("ardesse", False), ("orgnisation", False), ("telefone", False), ("nouakchot", False),
])
def test_a_dictionary_tells_words_from_misspellings(token: str, word: bool) -> None:
    assert is_word(token) is word


@pytest.mark.parametrize(("question", "read_as"), [
    ("a quelle ardesse ecrire au ssi", "a quelle adresse ecrire au ssi"),
    ("l orgnisation de la dci", "l organisation de la dci"),
    ("le directuer de la dci", "le directeur de la dci"),
    ("les partenairse du ssi", "les partenaire du ssi"),  # singular or plural: the same word
])
def test_a_misspelt_word_is_read_as_the_data_s_word(engine: Engine, question: str, read_as: str) -> None:
    assert engine._state.guard.corrected(question) == read_as


@pytest.mark.parametrize(("question", "read_as"), [
    ("pourriez vous me decrrire le ssi", "pourriez vous me decrire le ssi"),  # not a data word
    ("expliqeuz moi le role de la dci", "expliquez moi le role de la dci"),
])
def test_a_misspelt_framing_word_is_read_as_the_framing_word(engine: Engine, question: str, read_as: str) -> None:
    assert engine._state.guard.corrected(question) == read_as


@pytest.mark.parametrize("question", [
    # As close to two framing words that ask different things: « waht » (what, want), « whay » (what, why),
    # « quio » (qui, quoi). Choosing the first in alphabetical order read « waht » as « want ».
    "waht does the dci do", "whay does the dci exist", "quio dirige le ssi",
    "est ce qu il va pleuvoir demain a nouakchott",  # a real word the data does not use stays
    "le budget de la dci",
    "koi ssi",  # too short to tell
])
def test_real_words_are_left_alone(engine: Engine, question: str) -> None:
    assert engine._state.guard.corrected(question) == question


@pytest.mark.parametrize(("message", "intent"), [
    ("Quelle est l'ardesse postale du SSI de Nouakchott ?", "nouakchott.adresse"),
    ("Comment est orgnisée la DCI ?", "dci.organisation"),
])
def test_a_question_with_a_misspelling_is_answered(engine: Engine, message: str, intent: str) -> None:
    reply = engine.reply(message)
    assert (reply.status, reply.intent) == (ANSWERED, intent), reply.explanation.normalized


def test_a_question_about_the_weather_is_not_corrected_into_the_data(engine: Engine) -> None:
    reply = engine.reply("Est-ce qu'il va pleuvoir ce week-end à Nouakchott ?")
    assert reply.status != ANSWERED and "pleuvoir" in reply.explanation.normalized
