from __future__ import annotations

import pytest

from bot.text import Lexicon, content_tokens, find_phrases, french_typography, normalize, of, strip_accents

TABLE = Lexicon({
    "DCI": "Direction de la coopération internationale",
    "ASI": "attaché de sécurité intérieure",
    "SSI": "service de sécurité intérieure",
})


@pytest.mark.parametrize(("raw", "expected"), [
    ("C koi la DCI ?", "ce est quoi la dci"),
    ("c'est quoi la D.C.I.", "ce est quoi la dci"),
    ("c est quoi la DCI, c etait quand", "ce est quoi la dci ce etait quand"),  # « c' » without its apostrophe
    ("Qu'est-ce que la Direction de la Coopération Internationale ?", "que est ce que la dci"),
    ("les attachés de securite interieure", "les asi"),
    ("Le S.S.I. de Nouakchott", "le ssi de nouakchott"),
    ("et son e-mail ?", "et son courriel"),
    ("ya kel tél pr le ssi", "il y a quel telephone pour le ssi"),
    ("L’œuvre", "le oeuvre"),
    ("   ", ""),
    ("PK la dci a été créée", "pourquoi la dci a ete creee"),
    ("merci, a+", "merci a plus"),
    ("3+4", "3 4"),
    ("I don't know the SSI's phone", "i do not know the ssi s phone"),
    ("Can't find it, it isn't there", "can not find it it is not there"),
    ("won't they answer? ain't it", "will not they answer is not it"),
    ("qu'il n'y ait", "que il ne y ait"),
    # English « 's » after a question word or a pronoun is « is », typed with or without its apostrophe;
    # the possessive « its » and « the SSI's » stay.
    ("What's the fax? whats its number", "what is the fax what is its number"),
    ("Where's the office, who's the boss, thats it", "where is the office who is the boss that is it"),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw, TABLE) == expected


def test_strip_accents() -> None:
    assert strip_accents("Sûreté, œuvre, Élysée") == "Surete, oeuvre, Elysee"


def test_acronyms_both_ways_give_the_same_form() -> None:
    assert normalize("que fait l'attaché de sécurité intérieure", TABLE) == normalize("que fait l'ASI", TABLE)


def test_an_acronym_s_long_form_is_read_in_the_feminine_and_the_plural() -> None:
    assert normalize("elle est attachée de sécurité intérieure", TABLE) == "elle est asi"
    assert normalize("les attachées de sécurité intérieure", TABLE) == "les asi"
    assert normalize("les attachés de sécurité intérieure", TABLE) == "les asi"


def test_content_tokens_drop_question_words() -> None:
    assert content_tokens("que est ce que le budget de la dci") == ["budget", "dci"]


def test_find_phrases_prefers_longest() -> None:
    assert find_phrases("le ssi de nouakchott", ["ssi", "ssi de nouakchott"]) == [(1, 4, "ssi de nouakchott")]


@pytest.mark.parametrize(("name", "expected"), [
    ("le SSI de Nouakchott", "du SSI de Nouakchott"), ("les SSI", "des SSI"), ("la DCI", "de la DCI"),
    ("l'ASI", "de l'ASI"), ("Interpol", "d'Interpol"), ("Europol", "d'Europol"),
])
def test_of_contracts_the_article(name: str, expected: str) -> None:
    assert of(name) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Quoi ?", "Quoi\u00a0?"),
    ("« oui »", "«\u00a0oui\u00a0»"),
    ("Tél. : 45", "Tél.\u00a0: 45"),
    ("Vraiment!", "Vraiment\u00a0!"),
    ("https://example.org 10:30", "https://example.org 10:30"),
])
def test_french_typography(raw: str, expected: str) -> None:
    assert french_typography(raw) == expected
