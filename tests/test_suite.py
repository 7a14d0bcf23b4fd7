"""The behavioural suite (bot/tools/suite.py): reproducible, well-formed cases, and its CI gate on the shipped data."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path

import pytest

from bot import cli
from bot.config import Config, load_config
from bot.engine import Engine
from bot.text import strip_accents
from bot.tools import perturb
from bot.tools.suite import SuiteReport, format_report, report_json, run, run_suite
from bot.tools.suite_cases import (
    DEFAULT_SEED,
    Suite,
    contains_phrase,
    facet_questions,
    facet_words,
    generate,
    grid_cells,
    load_templates,
    slots,
    templates_path,
    typo_test,
    undescribed_forms,
)

# CI gate: each test's rate on the shipped data, seed 11, must stay at or above its floor. Floors are
# the rates last measured minus 0.02, not the targets (inv >= 0.95, mft >= 0.97, dir >= 0.98):
# raise them as the engine improves. When the suite was written (commit 695727f): grid 0.967, typos
# 0.697 / 0.708 / 0.592, persona 0.166, politeness 0.690, keywords 1.000, dir.facet 0.881, dir.subject 0.863.
# With the learned decision, the asking clause and typo-tolerant framing words (2026-12-02): grid 0.952
# (209), typos 0.905 / 0.905 / 0.855 (275 each), persona 0.956, politeness 0.898, keywords 0.983 (231),
# dir.facet 0.956 (160), dir.subject 0.904 (157). With the guard's share veto learned per data set
# and per-language thresholds, 3000 calibration questions (the share learned: 0.34): grid 0.952,
# typos 0.938 / 0.956 / 0.905, persona 0.975, politeness 0.927, keywords 0.991, dir.facet 0.950,
# dir.subject 0.860. With misspellings corrected, politeness openings left out, concept synonyms and
# a decision stable under splits (2026-12-07): grid 0.947, typos 0.967 / 0.971 / 0.908, persona 0.971,
# politeness 0.949, keywords 0.996, dir.facet 0.948, dir.subject 0.898 (floors not lowered).
# Then the suite changed (2026-12-07): its invariance bases are drawn from the French examples only
# (translated ones were drawn too, with French personas and greetings around them, and every new
# translation changed the draw), and from four times as many (680 bases instead of 272: with 272,
# seeds 11, 12 and 13 gave typos_10 0.963 / 0.931 / 0.930 on the same engine). Same engine, new
# suite: grid 0.947, typos 0.946 / 0.940 / 0.916, persona 0.922, politeness 0.925, keywords 0.989,
# dir.facet 0.951, dir.subject 0.895; the floors were these minus 0.02. Then (same day) with the
# guard covering the translated answers, the last sentence judged when none asks, glued closings
# left out and framing words among the spelling candidates: grid 0.957, typos 0.953 / 0.956 / 0.934,
# persona 0.981, politeness 0.999, keywords 0.986, dir.facet 0.955, dir.subject 0.893; the floors
# are these minus 0.02. (Weighing uncovered words by rarity gave dir.facet 0.991 but lost paraphrases
# with a word no intent uses: reverted.) inv.identity and dir.context were added on 2026-12-07 (commit
# after 753df15) at 0.956 and 0.715 on the engine of that time, 0.975 and 0.927 once the reader kept
# apart who asks and what a pronoun stands for; their floors are these minus 0.02.
MAX_REPLIES = 6500  # about 5,800 (French) and 6,200 (English) distinct questions: each suite runs in seconds
FRENCH_FLOORS = {
    "mft.grid": 0.937,
    "inv.typos_05": 0.933,
    "inv.typos_10": 0.936,
    "inv.typos_15": 0.914,
    "inv.persona": 0.961,
    "inv.politeness": 0.979,
    "inv.keywords": 0.966,
    # added 2026-12-07 at 0.430: a synonym the data never uses is the weak spot. 0.380 once the last
    # complement must be covered (« la direction de la collaboration internationale » is no longer
    # answered as the DCI), which took dir.subject 0.899 -> 0.921 (seed 12: 0.923 -> 0.952); 0.365 at
    # the end of that round (each retrain moves the French threshold, and this rate, by up to 0.01).
    "inv.paraphrase": 0.345,
    "inv.identity": 0.955,
    "dir.facet": 0.935,
    "dir.subject": 0.911,
    "dir.context": 0.98,
}
# The English suite (tests/suite/templates_en.toml, written on 2026-12-07 by someone who had not read the
# intents' examples nor the evaluation sets), measured when it was added, on the engine of commit 1cc79ff:
# grid 0.863 (240), typos 0.973 / 0.968 / 0.951 (693 each), persona 0.977, politeness 0.771, keywords
# 0.959 (585), paraphrase 0.483 (302), identity 0.987 (155), dir.facet 0.993 (273), dir.subject 0.872
# (289), dir.context 0.527 (110). The same day, with greetings that use a word questions use too, English
# requests and pronouns read, English and Arabic greetings and closings among the small-talk examples,
# « 's » read « is » and « town » no longer a misspelt « own » (commit after cf89bda): grid 0.908,
# typos 0.964 / 0.967 / 0.942, persona 0.982, politeness 0.986, keywords 0.958, paraphrase 0.458,
# identity 0.981, dir.facet 0.993, dir.subject 0.928, dir.context 0.973. The floors are these minus 0.02.
ENGLISH_FLOORS = {
    "mft.grid": 0.897,
    "inv.typos_05": 0.944,
    "inv.typos_10": 0.947,
    "inv.typos_15": 0.922,
    "inv.persona": 0.962,
    "inv.politeness": 0.966,
    "inv.keywords": 0.938,
    "inv.paraphrase": 0.456,
    "inv.identity": 0.961,
    "dir.facet": 0.973,
    "dir.subject": 0.955,
    "dir.context": 0.98,
}
# The Arabic suite (tests/suite/templates_ar.toml, written the same day by another helper under the same
# rules; its forms are the subjects' Arabic names and acronyms), measured on the engine of commit 2ee12d5:
# grid 0.698 (238), typos 0.875 / 0.849 / 0.818 (649 each), persona 0.972, politeness 0.642, keywords
# 0.985 (522), paraphrase 0.463 (242), identity 0.939 (147), dir.facet 0.932 (220), dir.subject 0.898
# (246), dir.context 0.776 (107). The same day, with requests and interrogatives read where a sentence
# opens, greetings and closings among the small-talk examples, framing words (« فكرة », « معلومات »,
# « أخبروني ») no key terms and an intent covering the words that ask its facet: grid 0.752, typos
# 0.878 / 0.858 / 0.828, persona 0.992, politeness 0.772, keywords 0.983, paraphrase 0.451, identity
# 0.940, dir.facet 0.947, dir.subject 0.897, dir.context 0.776. The floors are these minus 0.02.
ARABIC_FLOORS = {
    "mft.grid": 0.753,
    "inv.typos_05": 0.858,
    "inv.typos_10": 0.838,
    "inv.typos_15": 0.808,
    "inv.persona": 0.972,
    "inv.politeness": 0.941,
    "inv.keywords": 0.963,
    "inv.paraphrase": 0.431,
    "inv.identity": 0.92,
    "dir.facet": 0.927,
    "dir.subject": 0.897,
    "dir.context": 0.98,
}
# Then (2026-12-07, a later round): Arabic greetings end at « ، », Arabic pronouns joined to a word refer
# back, « أبحث عن » frames, a dictionary word is no misspelling of another, identity questions and a
# facet of a subject the page does not describe are refused in the three languages, the last complement
# must be covered, and the page's Mauritanian partners are subjects it does not describe (the directional
# tests draw those first: their cases changed). Seed 11, fr / en / ar: grid 0.962 / 0.917 / 0.773,
# typos_05 0.950 / 0.960 / 0.880, typos_10 0.947 / 0.964 / 0.855, typos_15 0.925 / 0.933 / 0.835,
# persona 0.981 / 0.983 / 0.993, politeness 0.999 / 0.986 / 0.961, keywords 0.981 / 0.960 / 0.983,
# paraphrase 0.378 / 0.476 / 0.454, identity 0.975 / 0.981 / 0.940, dir.facet 0.956 / 0.990 / 0.942,
# dir.subject 0.931 / 0.975 / 0.917, dir.context 1.000 in all three. Floors raised to these minus 0.02
# where they rose; none lowered but the French paraphrase (see its line).
FLOORS = {"fr": FRENCH_FLOORS, "en": ENGLISH_FLOORS, "ar": ARABIC_FLOORS}


@pytest.fixture(scope="module", params=["fr", "en", "ar"])
def language(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def templates(config: Config, language: str) -> dict:
    return load_templates(templates_path(config, language))


@pytest.fixture(scope="module")
def suite(engine: Engine, templates: dict) -> Suite:
    return generate(engine.kb, templates, DEFAULT_SEED)


@pytest.fixture(scope="module")
def report(engine: Engine, language: str) -> SuiteReport:
    return run_suite(engine, DEFAULT_SEED, templates_path(engine.config, language))


# -- generation -----------------------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_cases_and_another_seed_others(engine: Engine, templates: dict,
                                                                     suite: Suite) -> None:
    assert generate(engine.kb, templates, DEFAULT_SEED) == suite
    other = generate(engine.kb, templates, DEFAULT_SEED + 1)
    assert [t.name for t in other.tests] == [t.name for t in suite.tests]
    for name, cases in suite.cases.items():
        assert other.cases[name] != cases, name


def test_every_test_has_cases_with_every_placeholder_filled(suite: Suite) -> None:
    assert [t.name for t in suite.tests] == list(FRENCH_FLOORS)
    assert suite.language in FLOORS
    for test in suite.tests:
        cases = suite.cases[test.name]
        assert len(cases) >= 100, test.name
        assert all(c.test == test.name and c.text.strip() for c in cases)
        assert not [c.text for c in cases if "{" in c.text or "}" in c.text], test.name
        if test.kind != "mft":
            assert all(c.base and c.base != c.text for c in cases), test.name


def test_every_cell_of_the_grid_has_templates_and_cases(engine: Engine, templates: dict, suite: Suite) -> None:
    kb = engine.kb
    cells = grid_cells(kb)
    assert len(cells) >= 30
    assert not [facet for _, _, facet in cells if not facet_questions(templates, facet)]
    grid = suite.cases["mft.grid"]
    assert {c.intent for c in grid} == {intent for intent, _, _ in cells}
    for case in grid:
        intent = kb.intents[case.intent]
        assert case.origin == f"{intent.subject} x {intent.facet}"
        assert case.text == perturb.fill(case.template, slots(templates, case.form))
    forms = {c.form for c in grid}
    if suite.language == "en":  # English forms: « the ASI », « the international cooperation directorate »
        assert {"the SSI of Nouakchott", "the international cooperation directorate", "the ASI"} <= forms
        assert not [f for f in forms if not f.startswith("the ") or perturb.article_of(f) or " de " in f], forms
    elif suite.language == "ar":  # Arabic forms: the subjects' Arabic names, and acronyms (« ASI »)
        assert {"مديرية التعاون الدولي", "مصلحة الأمن الداخلي في نواكشوط"} <= forms
        assert {"ASI", "SSI"} & forms
    else:
        assert "la DCI" in forms and "le SSI de Nouakchott" in forms


def _changed_words(case_text: str, base: str) -> list[tuple[str, str]]:
    old, new = base.split(), case_text.split()
    assert len(old) == len(new), (base, case_text)  # a typo replaces a word by one word
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_typo_noise_alters_ceil_rate_times_the_words(templates: dict, suite: Suite) -> None:
    has_accents = any(strip_accents(c.base) != c.base for c in suite.cases[typo_test(0.05)])
    kinds: set[str] = set()
    sms = {v for v in templates["typos"]["sms"].values()}
    for rate in templates["typos"]["rates"]:
        cases = suite.cases[typo_test(rate)]
        exact = 0
        for case in cases:
            changed = _changed_words(case.text, case.base)
            words = sum(any(ch.isalpha() for ch in w) for w in case.base.split())
            wanted = perturb.words_to_alter(words, rate)
            assert 1 <= len(changed) <= wanted, (rate, case)
            exact += len(changed) == wanted
            for old, new in changed:
                core = old.strip("?!.,;:()«»")
                if new.strip("?!.,;:()«»") in sms:
                    kinds.add("sms")
                elif strip_accents(old) == new:
                    kinds.add("accents")
                elif len(new) == len(old) - 1:
                    kinds.add("drop")
                elif len(new) == len(old) + 1:
                    kinds.add("double")
                elif sorted(new) == sorted(old) and core:
                    kinds.add("swap")
        assert exact >= 0.9 * len(cases), rate  # fewer only when too few words can be altered
    assert kinds == {"sms", "drop", "double", "swap"} | ({"accents"} if has_accents else set())


def test_typo_rates_are_separate_tests_on_a_long_question() -> None:
    text = " ".join(["coopération", "internationale"] * 10)  # 20 words, every one can be altered
    for rate, wanted in ((0.05, 1), (0.10, 2), (0.15, 3)):
        noisy = perturb.add_typos(text, rate, random.Random(1), {})
        assert noisy is not None and len(_changed_words(noisy, text)) == wanted


def test_persona_politeness_and_key_words_keep_the_question(templates: dict, suite: Suite) -> None:
    inv = templates["invariance"]
    for case in suite.cases["inv.persona"]:
        assert any(case.text == f"{p} {case.base}" for p in inv["personas"]), case
    for case in suite.cases["inv.politeness"]:
        core = case.text
        greeting = max((g for g in inv["greetings"] if core.startswith(g + " ")), key=len, default=None)
        closing = max((c for c in inv["closings"] if core.endswith(" " + c)), key=len, default=None)
        assert greeting or closing, case
        core = core[len(greeting) + 1:] if greeting else core
        core = core[:-len(closing) - 1] if closing else core
        assert core in (case.base, perturb.lower_first(case.base)), case
    stopwords = frozenset(inv["keyword_stopwords"].split())
    for case in suite.cases["inv.keywords"]:
        words = case.text.split()
        assert 2 <= len(words) < len(case.base.split()) + 1, case
        assert all(w.casefold() not in stopwords and w.casefold() in case.base.casefold() for w in words), case
        assert "?" not in case.text and "؟" not in case.text


def test_a_paraphrase_changes_one_word_for_a_synonym_the_data_never_uses(engine: Engine, templates: dict,
                                                                          suite: Suite) -> None:
    from bot.tools.suite_cases import data_words

    known = data_words(engine.kb)
    synonyms = {w for words in templates["paraphrase"]["synonyms"].values() for w in words}
    cases = suite.cases["inv.paraphrase"]
    assert len(cases) >= 100
    for case in cases:
        before, after = case.base.split(), case.text.split()
        first = next((i for i, (b, a) in enumerate(zip(before, after, strict=False)) if b != a), None)
        assert first is not None, case
        new = " ".join(after[first:first + len(after) - len(before) + 1])
        assert new in synonyms or any(new.startswith(w) for w in synonyms), case
        assert not set(engine.kb.normalize(new).split()) <= known, case  # the data never uses it


def test_directional_cases_never_contain_the_original_facet_or_a_described_subject(
        engine: Engine, templates: dict, suite: Suite) -> None:
    kb = engine.kb
    for case in suite.cases["dir.facet"]:
        facet = case.origin.split(" x ")[1]
        normalized = kb.normalize(case.text)
        assert not [w for w in facet_words(kb, templates, facet) if contains_phrase(normalized, w)], case
        assert any(f.casefold() in case.text.casefold() for f in templates["directional"]["facets"]), case
    described = [alias for alias, sid in kb.subject_aliases.items() if kb.subjects[sid].described]
    others = undescribed_forms(kb, templates)
    expected = {"fr": ["la police nationale", "le ministre"], "ar": ["الشرطة", "وزارة الداخلية"],
                "en": ["the national police", "the ministry of the interior"]}[suite.language]
    assert set(expected) <= set(others)
    for case in suite.cases["dir.subject"]:
        normalized = kb.normalize(case.text)
        assert not [a for a in described if contains_phrase(normalized, a)], case
        assert case.origin in others
        assert kb.normalize(perturb.bare(case.origin)) in normalized, case


def test_the_suite_stays_within_its_budget_of_replies(suite: Suite) -> None:
    texts = {t for cases in suite.cases.values() for c in cases for t in (c.text, c.base) if t}
    assert len(texts) <= MAX_REPLIES


# -- running and the CI gate ------------------------------------------------------------------------------

def test_the_suite_catches_wrong_expectations(engine: Engine) -> None:
    """Rotated intents fail the grid; directional pairs asked the other way round fail: the rates can drop.

    On the French suite, whose grid is answered (the runner is the same for every language).
    """
    suite = generate(engine.kb, load_templates(templates_path(engine.config)), DEFAULT_SEED)
    grid = suite.cases["mft.grid"][:40]
    intents = [c.intent for c in grid]
    rotated = [dataclasses.replace(c, intent=i) for c, i in zip(grid, intents[7:] + intents[:7], strict=True)]
    backwards = [dataclasses.replace(c, text=c.base, base=c.text) for c in suite.cases["dir.subject"][:40]]
    broken = dataclasses.replace(suite, cases={**suite.cases, "mft.grid": rotated, "dir.subject": backwards})
    broken = dataclasses.replace(broken, tests=[t for t in suite.tests if t.name in ("mft.grid", "dir.subject")])
    result = run(engine, broken)
    assert result.result("mft.grid").rate <= 0.2
    assert result.result("dir.subject").n == 0 or result.result("dir.subject").rate <= 0.2


def test_ci_gate_each_rate_stays_above_its_floor(report: SuiteReport) -> None:
    assert report.replies <= MAX_REPLIES
    rates = {r.spec.name: (round(r.rate, 3), r.n) for r in report.results}
    floors = FLOORS[report.language]
    assert set(floors) == set(rates)
    below = {name: rates[name] for name, floor in floors.items() if rates[name][0] < floor}
    assert not below, f"below the floor: {below}; all rates: {rates}"
    assert all(r.n >= 100 for r in report.results), rates


def test_the_report_gives_a_table_failing_examples_and_json(report: SuiteReport) -> None:
    text = format_report(report, verbose=True)
    assert "test" in text and "rate" in text and "target" in text
    for r in report.results:
        assert f"{r.spec.name:<16} {r.n:>5} {r.rate:>6.3f} {r.target:>7.2f}" in text
        assert all(f"« {f['question']} »" in text for f in r.failures)
        assert len(r.failures) <= 5 and (r.failures or r.passed == r.n)
    data = json.loads(json.dumps(report_json(report), ensure_ascii=False))
    assert [t["name"] for t in data["tests"]] == list(FRENCH_FLOORS)
    assert data["language"] == report.language
    assert {t["target"] for t in data["tests"]} == {0.97, 0.95, 0.98}
    assert set(data["invariance_bases"]) == {"example", "template"}


@pytest.mark.parametrize("language", ["en"], indirect=True)  # the command is the same in every language
def test_faqbot_eval_suite_prints_the_same_figures(capsys, private_config: Path, report: SuiteReport) -> None:
    assert cli.main(["eval", "--suite", "--lang", report.language, "--json", "--config", str(private_config)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == DEFAULT_SEED and data["language"] == report.language
    assert {t["name"]: t["passed"] for t in data["tests"]} == {r.spec.name: r.passed for r in report.results}


def test_a_language_without_templates_is_one_clear_line(capsys, private_config: Path, tmp_path: Path) -> None:
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "templates.toml").write_bytes(templates_path(load_config(private_config)).read_bytes())
    text = private_config.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^evaluation\s*=\s*"[^"]*"', f"evaluation = {json.dumps(str(tmp_path / 'eval'))}", text)
    config = private_config.parent / "config-without-english-suite.toml"
    config.write_text(text, encoding="utf-8")
    assert cli.main(["eval", "--suite", "--lang", "en", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"error: the suite's templates file {tmp_path / 'suite' / 'templates_en.toml'} is missing "
                   "(templates found for: fr)")


def test_lang_without_suite_is_a_usage_error(capsys, private_config: Path) -> None:
    assert cli.main(["eval", "--lang", "en", "--config", str(private_config)]) == 2
    assert capsys.readouterr().err.strip() == ("error: --lang chooses the language of --suite; without it, faqbot eval "
                                               "reports every language of the evaluation set")
