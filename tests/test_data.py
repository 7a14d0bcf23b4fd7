"""The shipped data itself: every intent, every answer, every acronym."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import load_config
from bot.reader import load_knowledge

REPO = Path(__file__).resolve().parent.parent
_CONFIG = load_config(REPO / "config.toml")
KB = load_knowledge(_CONFIG.paths.knowledge, _CONFIG.paths.intents)
SOURCE = _CONFIG.paths.source.read_text(encoding="utf-8")


@pytest.mark.parametrize("intent_id", sorted(KB.intents))
def test_intent_has_enough_varied_examples(intent_id: str) -> None:
    intent = KB.intents[intent_id]
    normalized = {KB.normalize(e) for e in intent.examples}
    assert len(normalized) >= 8
    assert intent.answer in KB.answers


@pytest.mark.parametrize("answer_id", sorted(KB.answers))
def test_answer_is_clean_french(answer_id: str) -> None:
    answer = KB.answers[answer_id]
    assert answer.title and answer.text and answer.source
    assert not re.search(r" [?!:;]", answer.text + answer.title), "use the non-breaking space rule"
    assert "\"" not in answer.text, "use « » for quotations"
    assert "tu " not in f" {answer.text.lower()}", "the bot says « vous »"


@pytest.mark.parametrize("answer_id", sorted(a for a in KB.answers if KB.answers[a].as_of))
def test_dated_answers_say_their_date(answer_id: str) -> None:
    assert "05/11/2015" in KB.answers[answer_id].text


def test_every_answer_is_reachable_by_an_intent() -> None:
    assert {i.answer for i in KB.intents.values()} == set(KB.answers)


def test_contact_details_match_the_source() -> None:
    digits = re.sub(r"\D", "", SOURCE)
    for answer_id in ("nouakchott.telephone", "nouakchott.fax", "nouakchott.courriel", "nouakchott.adresse"):
        text = KB.answers[answer_id].text
        for number in re.findall(r"\d[\d .]{5,}\d", text):
            assert re.sub(r"\D", "", number) in digits
    assert "tristan.coudert@diplomatie.gouv.fr" in KB.answers["nouakchott.courriel"].text


@pytest.mark.parametrize("acronym", sorted(KB.acronyms))
def test_every_acronym_is_understood_both_ways(acronym: str) -> None:
    assert KB.normalize(KB.acronyms[acronym]) == acronym.lower()
    assert acronym.replace("BP", "B.P.") in KB.answers["apropos.sigles"].text


def test_aliases_and_triggers_written_without_apostrophe_meet_questions_with_one() -> None:
    from bot.dialogue import asked_facet

    # intents/vocabulary.toml writes « conseiller du chef d etat major » and « a l avenir »; questions
    # write the apostrophe, and « d'état » reads « de etat ».
    question = KB.normalize("Que fait le conseiller du chef d'état-major de la gendarmerie ?")
    assert "conseiller_gendarmerie" in {KB.subject_aliases[p] for _, _, p in KB.subject_finder.find(question)}
    assert asked_facet(KB, KB.normalize("Qui sera le chef du SSI à l'avenir ?")) == "epoque"
