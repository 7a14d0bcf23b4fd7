"""Languages: detection, Arabic folding, translations in the loader and in `faqbot check`, bidi."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from pathlib import Path

import pytest

from bot.dialogue import Conversation
from bot.knowledge import Answer, KnowledgeBase
from bot.language import LanguageDetector, detect, fold_arabic, is_arabic
from bot.messages import CATALOGUE, FSI, PDI, bidi, message, subject_name
from bot.problems import Lines
from bot.reader import load_knowledge
from bot.text import content_tokens, normalize
from bot.tools.translations import check_answer_translations

# -- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("hello", "en"), ("SSI phone", "en"), ("fax number", "en"), ("who heads the SSI?", "en"),
    ("and his email?", "en"), ("thanks", "en"),
    ("bonjour", "fr"), ("merci", "fr"), ("et son mail ?", "fr"), ("c koi la dci", "fr"),
    ("qui dirige le ssi de nouakchott", "fr"), ("numéro de fax", "fr"),
    ("مرحبا", "ar"), ("وبريده الإلكتروني؟", "ar"), ("من يدير SSI نواكشوط", "ar"), ("معنى DCI و ASI و SSI", "ar"),
    ("fax ssi", None), ("DCI", None), ("SSI ASI", None), ("45 25 19 76", None), ("", None), ("?", None),
])
def test_detects_the_language_of_short_messages(kb: KnowledgeBase, text: str, expected: str | None) -> None:
    assert detect(text, kb) == expected


def test_detector_learns_from_its_samples_only() -> None:
    detector = LanguageDetector({"fr": ["le chef du service"], "en": ["the head of the office"]})
    assert detector.detect("the head") == "en"
    assert detector.detect("le chef") == "fr"
    assert detector.detect("the chef") is None  # one word of each: not enough to leave French
    assert detector.tokens("the SSI 2015 office") == ["the", "office"]


# -- Arabic normalisation -----------------------------------------------------------------------------


def test_arabic_variants_fold_to_one_form() -> None:
    assert normalize("مَنْ يُدِيرُ المُدِيرِيَّة") == normalize("من يدير المديرية")  # diacritics
    assert normalize("مـــديرية") == normalize("مديرية")  # tatweel
    assert normalize("أين") == normalize("اين") == normalize("إين")  # alef with hamza above, below
    assert normalize("مستشفى") == normalize("مستشفي")  # alef maqsura / yā
    assert normalize("مديرية") == normalize("مديريه")  # tā' marbūṭa / hā'
    assert normalize("رقم ٤٥ ٢٥") == normalize("رقم ۴۵ ۲۵") == normalize("رقم 45 25")  # Arabic-Indic, Eastern digits
    assert normalize("ﻣﺮﺣﺒﺎ") == normalize("مرحبا")  # presentation forms


def test_arabic_clitics_meet_the_plain_word() -> None:
    assert normalize("وبريده الإلكتروني؟") == normalize("البريد الإلكتروني")
    assert normalize("هاتفها") == normalize("الهاتف")
    assert fold_arabic("qui dirige la DCI ?") == "qui dirige la DCI ?"  # French is left alone


def test_a_preposition_joined_to_a_subject_s_name_is_cut_off(kb: KnowledgeBase) -> None:
    """« بمصلحة », « لملحق », « بنواكشوط »: ب, ل or ك joined to a name of the data, without the article."""
    assert kb.normalize("فاكس بمصلحة الأمن الداخلي") == kb.normalize("فاكس مصلحة الأمن الداخلي")
    assert kb.normalize("مهام لملحق الأمن الداخلي") == kb.normalize("مهام ملحق الأمن الداخلي")
    assert kb.normalize("المكتب بنواكشوط") == kb.normalize("المكتب نواكشوط")
    # A word that only begins with one of these letters keeps it: « برنامج », « لجنة », « كتاب ».
    assert kb.normalize("برنامج لجنة كتاب") == normalize("برنامج لجنة كتاب")
    assert normalize("بمصلحة") != normalize("مصلحة")  # names come from the data: no data, no cut


@pytest.mark.parametrize("question", ["هل يوجد فاكس بمصلحة الأمن الداخلي في نواكشوط؟",
                                      "ما هي المهام المختلفة لمصلحة الأمن الداخلي؟"])
def test_a_subject_named_after_a_joined_preposition_is_recognised(engine, question: str) -> None:
    reply = engine.reply(question)
    assert reply.status == "answered" and reply.intent in ("nouakchott.fax", "ssi.missions"), reply
    assert reply.explanation.subjects


@pytest.mark.parametrize("word", ["فاكس", "فرنسا", "فريق"])
def test_a_word_beginning_with_fa_keeps_it_and_meets_its_article_form(word: str) -> None:
    assert normalize(word) == normalize("ال" + word) == normalize("و" + "ال" + word)
    assert normalize(word).startswith(fold_arabic("ف"))


def test_arabic_function_words_are_not_key_terms() -> None:
    assert content_tokens(normalize("ما هو رقم فاكس المصلحة؟")) == normalize("رقم فاكس المصلحة").split()
    assert content_tokens(normalize("what is the fax number")) == ["fax", "number"]


def test_the_arabic_article_is_cut_off_an_acronym_in_latin_letters() -> None:
    assert normalize("مهام الـASI") == normalize("مهام ASI") and normalize("بالSSI") == normalize("SSI")
    assert normalize("الفاكس") == normalize("فاكس")  # an Arabic word keeps its article's folding


def test_arabic_pronouns_joined_to_a_word_refer_back() -> None:
    from bot.language import refers_back_in_arabic

    # « its address », « who heads it », « about it », « with them »
    assert all(map(refers_back_in_arabic, ["ما عنوانها؟", "من يرأسها", "ماذا تعرف عنها", "وما علاقتهم معهم"]))
    # « the most important missions » (« أهم » is no pronoun), « المصلحه »: « ة » typed « ه », no pronoun either
    assert not any(map(refers_back_in_arabic, ["ما أهم المهام", "ما هو عنوان المصلحه", "what is its fax"]))


@pytest.mark.parametrize("question", ["شو يعني DCI؟", "وين مكتب SSI لو سمحت", "ايش معنى ASI",
                                      # Hassaniya, Mauritania's Arabic: « شنهي » (what), « اللي » (which),
                                      # « منين » (from where); « وهل » (and… ?) is « هل » with « و » joined.
                                      "شنهي ذي DCI اللي عندكم؟", "منين مكتب SSI؟", "وهل مكتب ASI؟"])
def test_arabic_question_words_as_people_type_them_are_not_key_terms(question: str) -> None:
    # « شو », « ايش » (what), « وين » (where), « يعني » (means), « لو سمحت » (please): dialect and
    # framing words that left an intent's examples « uncovered » and vetoed it.
    assert [t for t in content_tokens(normalize(question)) if is_arabic(t)] in ([], [normalize("مكتب")])


@pytest.mark.parametrize(("question", "key_terms"), [
    ("when was the DCI set up, before or after 2010?", ["dci", "set", "2010"]),
    ("what's the SSI's fax? I don't have it", ["ssi", "fax"]),
    ("does France have attachés all over the world", ["france", "attaches", "world"]),
    ("so what is the DCI anyway?", ["dci"]),  # casual fillers: « anyway », « the main guy », « exactly »
    ("who is the main guy at the SSI, exactly?", ["ssi"]),
])
def test_english_function_words_are_not_key_terms(question: str, key_terms: list[str]) -> None:
    assert content_tokens(normalize(question)) == key_terms


def test_is_arabic_needs_an_arabic_word() -> None:
    assert is_arabic("من هو Tristan Coudert؟")
    assert not is_arabic("SSI 45 25 19 76")


# -- loader ------------------------------------------------------------------------------------------

KNOWLEDGE = '''topic = "t"
title = "Le sujet"
title_en = "The topic"
title_ar = "الموضوع"

[[answers]]
id = "t.tel"
title = "Téléphone du service"
title_en = "Phone number of the office"
title_ar = "هاتف المصلحة"
text = "Le numéro est le 45 25 19 76."
text_en = "The number is 45 25 19 76."
text_ar = "الرقم هو 45 25 19 76."
source = "page"
'''
INTENTS = '''topic = "t"

[subjects.service]
name = "le service"
aliases = ["service"]
aliases_en = ["office"]
aliases_ar = ["المصلحة"]
members = ["agents"]
members_en = ["officers"]

[facets.telephone]
triggers = ["telephone"]
triggers_en = ["phone"]
triggers_ar = ["هاتف"]

[[intents]]
id = "t.tel"
answer = "t.tel"
subject = "service"
facet = "telephone"
examples = ["quel est le telephone du service"]
examples_en = ["what is the phone number of the office"]
examples_ar = ["ما هو رقم هاتف المصلحة"]
'''


def test_loader_reads_translations_and_merges_the_languages(tmp_path: Path) -> None:
    (tmp_path / "k").mkdir()
    (tmp_path / "i").mkdir()
    (tmp_path / "k" / "t.toml").write_text(KNOWLEDGE, encoding="utf-8")
    (tmp_path / "i" / "t.toml").write_text(INTENTS, encoding="utf-8")
    kb = load_knowledge(tmp_path / "k", tmp_path / "i")
    answer = kb.answers["t.tel"]
    assert answer.text_in("en") == "The number is 45 25 19 76."
    assert answer.title_in("ar") == "هاتف المصلحة"
    assert answer.text_in("fr") == answer.text_in("es") == answer.text
    assert kb.topics[0].title_in("en") == "The topic"
    intent = kb.intents["t.tel"]
    assert intent.by_language["en"] == ("what is the phone number of the office",)
    assert len(intent.examples) == 3  # one matcher learns every language
    assert kb.subject_aliases[normalize("المصلحة")] == "service"
    assert kb.subjects["service"].name_in("en") == "the office"  # its people do not name it
    assert kb.subject_aliases["agents"] == kb.subject_aliases["officers"] == "service"
    assert kb.subjects["service"].members == {"agents", "officers"}
    assert kb.facet_triggers["phone"] == kb.facet_triggers[normalize("هاتف")] == "telephone"


# -- faqbot check ---------------------------------------------------------------------------------------


def _answer(**translations: str) -> Answer:
    texts = {k[5:]: v for k, v in translations.items() if k.startswith("text_")}
    titles = {k[6:]: v for k, v in translations.items() if k.startswith("title_")}
    return Answer("t.tel", "Téléphone du SSI", "Appelez le +222 45 25 19 76 depuis le 5 novembre 2015.", "page", "t",
                  Path("knowledge/t.toml"), titles=titles, texts=texts)


GOOD = {"title_en": "SSI phone", "text_en": "Call +222 45 25 19 76 since 5 November 2015.",
        "title_ar": "هاتف SSI", "text_ar": "اتصلوا بالرقم +222 45 25 19 76 منذ ٥ نوفمبر ٢٠١٥."}


def test_faithful_translations_pass() -> None:
    assert check_answer_translations(_answer(**GOOD), Lines()) == []


@pytest.mark.parametrize(("key", "old", "new", "says"), [
    ("text_en", "19 76", "19 67", "phone number"),
    ("text_ar", "٢٠١٥", "٢٠١٦", "date"),
    ("text_en", "5 November", "6 November", "date"),
    ("title_ar", "SSI", "DCI", "acronym"),
])
def test_a_changed_fact_in_a_translation_is_an_error(key: str, old: str, new: str, says: str) -> None:
    translations = dict(GOOD, **{key: GOOD[key].replace(old, new)})
    problems = check_answer_translations(_answer(**translations), Lines())
    assert [p.severity for p in problems] == ["error"]
    assert says in problems[0].message and ("Arabic" if key.endswith("ar") else "English") in problems[0].message


def test_a_missing_translation_is_a_warning() -> None:
    translations = {k: v for k, v in GOOD.items() if not k.endswith("_ar")}
    problems = check_answer_translations(_answer(**translations), Lines())
    assert [(p.severity, "no Arabic translation" in p.message) for p in problems] == [("warning", True)]


# -- messages and right-to-left rendering ---------------------------------------------------------------


def test_every_message_exists_in_every_language() -> None:
    for key, texts in CATALOGUE.items():
        assert set(texts) == {"fr", "en", "ar"}, key
        assert all(texts[lang] for lang in ("en", "ar")), key
    assert message("bad_choice", "fr", n=3) == "Tapez un numéro entre 1 et 3, ou posez une autre question."
    assert message("no_information", "xx") == message("no_information", "fr")


def _visual(text: str) -> str:
    """Return `text` in display order, by FriBidi's implementation of the Unicode bidi algorithm."""
    name = ctypes.util.find_library("fribidi")
    if name is None:
        pytest.skip("libfribidi is not installed")
    lib = ctypes.CDLL(name)
    source = (ctypes.c_uint32 * len(text))(*map(ord, text))
    shown = (ctypes.c_uint32 * len(text))()
    base = ctypes.c_uint32(0x40)  # FRIBIDI_PAR_ON: direction from the first strong letter
    assert lib.fribidi_log2vis(source, len(text), ctypes.byref(base), shown, None, None, None)
    return "".join(map(chr, shown)).replace(FSI, "").replace(PDI, "")


def test_arabic_text_shows_phone_numbers_and_emails_in_order() -> None:
    text = "الهاتف: +222 45 25 19 76، البريد: ssi.nouakchott@interieur.gouv.fr"
    assert "76 19 25 45" in _visual(text)  # what Telegram would show without isolates
    shown = _visual(bidi(text))
    assert "+222 45 25 19 76" in shown and "ssi.nouakchott@interieur.gouv.fr" in shown
    assert bidi(bidi(text)) == bidi(text)
    assert json.dumps(bidi("SSI")) == json.dumps(FSI + "SSI" + PDI)


# -- replies in the asker's language ----------------------------------------------------------------------

EMAIL = "tristan.coudert@diplomatie.gouv.fr"


def _dialog(run_faqbot, lines: list[str], *options: str) -> list[dict]:
    result = run_faqbot("ask", "--dialog", "--json", *options, input="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_an_english_dialog_with_follow_ups_in_the_console(run_faqbot, kb: KnowledgeBase) -> None:
    replies = _dialog(run_faqbot, ["who heads the SSI in Nouakchott?", "and his email?", "what about the fax?"])
    assert [r["intent"] for r in replies] == ["nouakchott.chef", "nouakchott.courriel", "nouakchott.fax"]
    assert [r["language"] for r in replies] == ["en", "en", "en"]
    assert replies[1]["answer"] == kb.answers["nouakchott.courriel"].texts["en"]
    notice = message("unofficial", "en")
    assert replies[0]["answer"].endswith(notice) and not any(notice in r["answer"] for r in replies[1:])


def test_an_arabic_dialog_with_follow_ups_in_the_console(run_faqbot) -> None:
    replies = _dialog(run_faqbot, ["من هو رئيس مصلحة الأمن الداخلي في نواكشوط؟", "وبريده الإلكتروني؟", "ورقم الفاكس؟"],
                      "--lang", "auto")
    assert [r["intent"] for r in replies] == ["nouakchott.chef", "nouakchott.courriel", "nouakchott.fax"]
    assert [r["language"] for r in replies] == ["ar", "ar", "ar"]
    assert FSI + EMAIL + PDI in replies[1]["answer"]  # the address reads left to right inside Arabic
    assert replies[0]["answer"].endswith(message("unofficial", "ar"))


def test_lang_forces_the_language_and_french_stays_the_default(run_faqbot) -> None:
    french, forced = _dialog(run_faqbot, ["qui dirige la DCI ?"]), _dialog(run_faqbot, ["qui dirige la DCI ?"],
                                                                          "--lang", "ar")
    assert french[0]["language"] == "fr"
    assert forced[0]["language"] == "ar" and forced[0]["intent"] == french[0]["intent"]
    assert is_arabic(forced[0]["answer"]) and not is_arabic(french[0]["answer"])


def test_the_language_sticks_when_a_message_does_not_tell(engine) -> None:
    conversation = Conversation()
    assert engine.reply("what is the DCI?", conversation).language == "en"
    assert engine.reply("SSI", conversation).language == "en"  # an acronym alone keeps English
    fallback = engine.reply("what is the budget of the SSI?", conversation)
    assert fallback.status == "fallback" and fallback.language == "en"
    assert fallback.text.startswith("I do not have this information about the internal security service")
    assert engine.reply("c'est quoi la DCI ?", conversation).language == "fr"
    assert engine.none_of_these(conversation).text == message("none_of_these", "fr")


def test_a_chosen_language_wins_over_the_message(engine) -> None:
    conversation = Conversation(language_choice="en")
    reply = engine.reply("c'est quoi la DCI ?", conversation)
    assert reply.language == "en" and reply.intent == "dci.definition"
    assert engine.reply("", conversation).text == message("empty_question", "en")


@pytest.mark.parametrize("question", ["c'est quoi la DCI ?", "qui dirige le SSI de Nouakchott ?",
                                      "adresse mail de l'ASI", "quel temps fait-il à Paris ?"])
def test_the_reply_language_does_not_change_the_decision(engine, question: str) -> None:
    """The threshold is the one of the language the question is written in, whatever the reply's."""
    french = engine.reply(question, Conversation())
    for chosen in ("en", "ar"):
        other = engine.reply(question, Conversation(language_choice=chosen))
        assert (other.status, other.intent, other.language) == (french.status, french.intent, chosen)


def test_subjects_are_named_in_each_language_like_the_french_name() -> None:
    assert subject_name("le SSI de Nouakchott", "ssi of nouakchott", "en") == "the SSI of Nouakchott"
    assert subject_name("la DCI", "مديرية التعاون الدولي", "ar") == "مديرية التعاون الدولي (DCI)"
    assert subject_name("Interpol", "", "en") == "Interpol"


# -- Telegram, against the fake Bot API server ------------------------------------------------------------


async def _telegram_ask(api, text: str, user: dict) -> str:
    from fakebotapi import plain_text

    api.send_text(text, user)
    call = await api.wait_call("sendMessage", chat_id=user["id"])
    return plain_text(call.text, call.params.get("parse_mode"))


async def test_an_english_and_an_arabic_dialog_on_telegram(start_bot, fake_api) -> None:
    from fakebotapi import OTHER_USER, USER

    await start_bot()
    first = await _telegram_ask(fake_api, "who heads the SSI in Nouakchott?", USER)
    assert "Tristan Coudert" in first and message("unofficial", "en") in first
    second = await _telegram_ask(fake_api, "and his email?", USER)
    assert EMAIL in second and second.startswith("What is the e-mail address")
    arabic = await _telegram_ask(fake_api, "من هو رئيس مصلحة الأمن الداخلي في نواكشوط؟", OTHER_USER)
    assert is_arabic(arabic) and message("unofficial", "ar") in arabic
    mail = await _telegram_ask(fake_api, "وبريده الإلكتروني؟", OTHER_USER)
    assert FSI + EMAIL + PDI in mail and is_arabic(mail)


async def test_langue_buttons_choose_the_language(start_bot, fake_api, kb: KnowledgeBase) -> None:
    from fakebotapi import USER

    await start_bot()
    fake_api.send_text("/langue", USER)
    menu = await fake_api.wait_call("sendMessage", chat_id=USER["id"])
    assert [label for label, _ in menu.buttons] == ["Français", "English", "العربية", "Automatique"]
    fake_api.press(menu, menu.button("English"))
    edited = await fake_api.wait_call("editMessageText", chat_id=USER["id"])
    assert edited.text == message("language_set", "en")
    answer = await _telegram_ask(fake_api, "qu'est-ce que la DCI ?", USER)
    assert answer.startswith(kb.answers["dci.definition"].titles["en"])
    assert (await _telegram_ask(fake_api, "/langue auto", USER)) == message("language_auto", "en")
    french = await _telegram_ask(fake_api, "qu'est-ce que la DCI ?", USER)
    assert french.startswith(kb.answers["dci.definition"].title)


async def test_telegram_language_is_a_hint_for_start_only(start_bot, fake_api, kb: KnowledgeBase) -> None:
    arabic_user = {"id": 1010, "is_bot": False, "first_name": "Sidi", "language_code": "ar"}
    await start_bot()
    welcome = await _telegram_ask(fake_api, "/start", arabic_user)
    assert is_arabic(welcome)
    answer = await _telegram_ask(fake_api, "qu'est-ce que la DCI ?", arabic_user)  # what the user writes decides
    assert answer.startswith(kb.answers["dci.definition"].title)
