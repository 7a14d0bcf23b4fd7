"""Generate the behavioural suite's cases from the data and tests/suite/templates.toml (see bot/tools/suite.py).

No engine is called here: the same data, templates and seed give the same cases.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.language import is_arabic
from bot.tools import perturb

if TYPE_CHECKING:
    from bot.config import Config
    from bot.knowledge import KnowledgeBase

DEFAULT_SEED = 11  # of the generated cases (`faqbot eval --suite --seed`)


def templates_path(config: Config, language: str = "fr") -> Path:
    """Return the suite's templates file, beside the evaluation set: tests/suite/templates.toml for the
    data's language (French), tests/suite/templates_en.toml for English, templates_ar.toml for Arabic."""
    name = "templates.toml" if language == "fr" else f"templates_{language}.toml"
    return Path(config.paths.evaluation).parent / "suite" / name


def suite_languages(config: Config) -> list[str]:
    """Return the languages the suite has templates for, French first."""
    folder = templates_path(config).parent
    others = sorted(p.stem.removeprefix("templates_") for p in folder.glob("templates_*.toml"))
    return ["fr", *others] if templates_path(config).is_file() else others


def load_templates(path: Path) -> dict[str, Any]:
    """Read the suite's templates file."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Case:
    """One question of one test: `base` is the clean question it derives from, `intent` the one expected."""

    test: str
    text: str
    base: str = ""
    intent: str = ""
    origin: str = ""  # what the case was made from, for the report ("template", "example", a cell...)
    template: str = ""  # grid cases: the question template and the subject form it was filled with
    form: str = ""


@dataclass(frozen=True)
class TestSpec:
    name: str
    kind: str  # "mft" | "inv" | "dir"
    description: str


@dataclass
class Suite:
    """The generated cases, by test, in report order."""

    seed: int
    tests: list[TestSpec]
    cases: dict[str, list[Case]]
    targets: dict[str, float]
    language: str = "fr"


# -- generation ------------------------------------------------------------------------------------------

def language_of(templates: dict[str, Any]) -> str:
    """Return the language the templates are written in (`language`, French by default)."""
    return str(templates.get("language", "fr"))


def slots(templates: dict[str, Any], form: str) -> dict[str, str]:
    """Return the subject placeholders of one form, in the templates' language."""
    return perturb.slots(form) if language_of(templates) == "fr" else {"the": form}


def _facet_key(templates: dict[str, Any]) -> str:
    """Return the placeholder of a facet's noun phrase in the frames: {facette}, or {facet} in English and Arabic."""
    return "facette" if language_of(templates) == "fr" else "facet"


def subject_forms(kb: KnowledgeBase, templates: dict[str, Any], rng: random.Random) -> dict[str, list[str]]:
    """Return each described subject's forms: its name, then aliases drawn, with an article."""
    acronyms = {a.casefold(): a for a in kb.acronyms}
    forms: dict[str, list[str]] = {}
    for sid in sorted(kb.subjects):
        subject = kb.subjects[sid]
        if not subject.described:
            continue
        name, usable = _name_and_aliases(kb, templates, sid, acronyms)
        seen = {kb.normalize(name)}
        unique: list[str] = []
        for form in usable:
            if kb.normalize(form) not in seen:
                seen.add(kb.normalize(form))
                unique.append(form)
        take = min(len(unique), templates["sizes"]["forms_per_subject"] - 1)
        forms[sid] = [name, *rng.sample(unique, take)]
    return forms


def _name_and_aliases(kb: KnowledgeBase, templates: dict[str, Any], sid: str,
                      acronyms: dict[str, str]) -> tuple[str, list[str]]:
    """Return a subject's name in the templates' language and its aliases in that language, with an article.

    French: the aliases of the `aliases` key, with the name's article (or the templates' `article`).
    English: the `aliases_en` and the aliases made of acronyms only (« the DCI »), with « the » unless the
    subject is in the templates' `no_article`. Arabic: the aliases made of acronyms only (« DCI »); its
    `aliases_ar` are kept normalised (stemmed), not as people write them.
    """
    subject = kb.subjects[sid]
    skip = set(templates["aliases"]["skip"])
    language = language_of(templates)
    name = re.sub(r"\s*\([^)]*\)", "", subject.name_in(language)).strip()  # « la DCI », no « (…) »

    def cased(alias: str) -> str:
        return " ".join(acronyms.get(w, w) for w in alias.split())

    if language == "fr":
        article = templates["aliases"].get("article", {}).get(sid, perturb.article_of(name))
        return name, [perturb.with_article(article, cased(a))
                      for a in sorted(set(subject.aliases[:subject.french_aliases]) - skip)]
    article = "the " if language == "en" and sid not in templates["aliases"].get("no_article", []) else ""
    translated = [a for a in subject.aliases[subject.french_aliases:]
                  if language == "en" and a not in subject.members | subject.places and not is_arabic(a)]
    acronym_only = [a for a in subject.aliases if a.split() and all(w in acronyms for w in a.split())]
    return name, [article + cased(a) for a in sorted(set(translated + acronym_only) - skip)]


def facet_questions(templates: dict[str, Any], facet: str) -> list[str]:
    """Return the template questions of a facet: its own, then the frames filled with its noun phrase."""
    entry = templates["facets"].get(facet, {})
    questions = list(entry.get("templates", []))
    if "noun" in entry:
        questions += [perturb.fill(frame, {_facet_key(templates): entry["noun"], **_keep_subject(templates)})
                      for frame in templates["grid"]["frames"]]
    return questions


def _keep_subject(templates: dict[str, Any]) -> dict[str, str]:
    """Return placeholder values that write the subject's placeholders back, to be filled later."""
    return {key: "{" + key + "}" for key in slots(templates, "")}


def grid_cells(kb: KnowledgeBase) -> list[tuple[str, str, str]]:
    """Return (intent, subject, facet) for every intent of the data with a subject and a facet."""
    return [(i.id, i.subject, i.facet) for i in sorted(kb.intents.values(), key=lambda i: i.id)
            if i.subject and i.facet and kb.subjects.get(i.subject) and kb.subjects[i.subject].described]


def grid_cases(kb: KnowledgeBase, templates: dict[str, Any], forms: dict[str, list[str]],
               rng: random.Random) -> list[Case]:
    """Draw the minimum-functionality cases: template questions of each cell of the grid."""
    cases: list[Case] = []
    for intent, subject, facet in grid_cells(kb):
        combos = [(q, form) for q in facet_questions(templates, facet) for form in forms[subject]]
        for question, form in rng.sample(combos, min(len(combos), templates["sizes"]["cases_per_cell"])):
            cases.append(Case("mft.grid", perturb.fill(question, slots(templates, form)), intent=intent,
                              origin=f"{subject} x {facet}", template=question, form=form))
    return cases


def invariance_bases(kb: KnowledgeBase, templates: dict[str, Any], grid: list[Case],
                     rng: random.Random) -> list[tuple[str, str]]:
    """Draw the clean questions of the invariance tests: (text, "template" | "example")."""
    sizes = templates["sizes"]
    drawn = rng.sample(grid, min(len(grid), sizes["invariance_templates"]))
    excluded = set(templates["invariance"]["exclude_topics"])
    # The perturbations (personas, greetings, SMS forms) are written in the templates' language: only the
    # examples of that language are drawn.
    language = language_of(templates)
    examples = sorted({e for i in kb.intents.values() if i.topic not in excluded
                       for e in (i.own_examples if language == "fr" else i.by_language.get(language, ()))})
    bases = [(c.text, "template") for c in drawn]
    bases += [(e, "example") for e in rng.sample(examples, min(len(examples), sizes["invariance_examples"]))]
    return list(dict.fromkeys(bases))


def data_words(kb: KnowledgeBase) -> frozenset[str]:
    """Return every normalised word of the intents' examples and of the answers (all languages)."""
    texts = [e for i in kb.intents.values() for e in i.examples]
    texts += [t for a in kb.answers.values() for t in (a.title, a.text, *a.titles.values(), *a.texts.values())]
    return frozenset(w for t in texts for w in kb.normalize(t).split())


def invariance_cases(templates: dict[str, Any], bases: list[tuple[str, str]],
                     rng: random.Random) -> dict[str, list[Case]]:
    """Perturb each clean question once per invariance test."""
    inv = templates["invariance"]
    typos = templates["typos"]
    stopwords = frozenset(inv["keyword_stopwords"].split())
    cases: dict[str, list[Case]] = {typo_test(r): [] for r in typos["rates"]}
    cases |= {"inv.persona": [], "inv.politeness": [], "inv.keywords": []}
    for text, origin in bases:
        variants = {typo_test(r): perturb.add_typos(text, r, rng, typos["sms"]) for r in typos["rates"]}
        variants["inv.persona"] = perturb.with_persona(text, rng, inv["personas"])
        variants["inv.politeness"] = perturb.with_politeness(text, rng, inv["greetings"], inv["closings"])
        variants["inv.keywords"] = perturb.key_words(text, stopwords)
        for test, variant in variants.items():
            if variant and variant != text:
                cases[test].append(Case(test, variant, base=text, origin=origin))
    return cases


def paraphrase_cases(templates: dict[str, Any], bases: list[tuple[str, str]], rng: random.Random,
                     is_new: Callable[[str], bool]) -> list[Case]:
    """Replace one word of each clean question by a synonym of `templates` the data never uses (`is_new`)."""
    synonyms = {k.casefold(): v for k, v in templates["paraphrase"]["synonyms"].items()}
    cases = []
    for text, origin in bases:
        variant = perturb.with_synonym(text, rng, synonyms, is_new)
        if variant and variant != text:
            cases.append(Case("inv.paraphrase", variant, base=text, origin=origin))
    return cases


def identity_cases(templates: dict[str, Any], bases: list[tuple[str, str]], rng: random.Random) -> list[Case]:
    """Put a sentence saying who asks, naming an institution the page does not describe, before clean questions."""
    personas = templates["invariance"]["identity_personas"]
    drawn = rng.sample(bases, min(len(bases), templates["sizes"]["identity"]))
    return [Case("inv.identity", perturb.with_persona(text, rng, personas), base=text, origin=origin)
            for text, origin in drawn]


def directional_context_cases(kb: KnowledgeBase, templates: dict[str, Any], forms: dict[str, list[str]],
                              rng: random.Random) -> list[Case]:
    """Name a subject in a sentence, then ask about it by a pronoun: about the subject most intents are
    about (the SSI of Nouakchott here), the clean question; about one the page does not describe, the
    same question must not be answered."""
    d = templates["directional"]
    main = max(sorted(forms), key=lambda sid: sum(i.subject == sid for i in kb.intents.values()))
    pairs = []
    for frame in d["context_frames"]:
        for question in d["context_questions"]:
            base = f"{perturb.fill(frame, slots(templates, forms[main][0]))} {question}"
            for other in undescribed_forms(kb, templates):
                pairs.append(Case("dir.context", f"{perturb.fill(frame, slots(templates, other))} {question}",
                                  base=base, origin=other))
    return _draw_distinct(pairs, templates["sizes"]["directional_context"], rng)


def typo_test(rate: float) -> str:
    """Return the name of the typo test at this rate ("inv.typos_05")."""
    return f"inv.typos_{round(rate * 100):02d}"


def facet_words(kb: KnowledgeBase, templates: dict[str, Any], facet: str) -> list[str]:
    """Return the normalised phrases that name a facet: its triggers, its id, its noun phrase."""
    noun = templates["facets"].get(facet, {}).get("noun", "")
    phrases = [*kb.facets.get(facet, ()), facet.replace("_", " "), perturb.bare(noun)]
    return [p for p in (kb.normalize(x) for x in phrases) if p]


def contains_phrase(normalized: str, phrase: str) -> bool:
    """Tell whether a normalised phrase occurs in a normalised text, on word boundaries."""
    return f" {phrase} " in f" {normalized} "


def directional_facet_cases(kb: KnowledgeBase, templates: dict[str, Any], forms: dict[str, list[str]],
                            rng: random.Random) -> list[Case]:
    """Swap a facet's noun phrase in a frame for one the page does not give; same frame, same subject."""
    pairs: list[Case] = []
    for _, subject, facet in grid_cells(kb):
        noun = templates["facets"].get(facet, {}).get("noun")
        if not noun:
            continue
        words = facet_words(kb, templates, facet)
        for frame in templates["grid"]["frames"]:
            for form in forms[subject]:
                original = perturb.fill(frame, {_facet_key(templates): noun, **slots(templates, form)})
                for other in templates["directional"]["facets"]:
                    text = perturb.fill(frame, {_facet_key(templates): other, **slots(templates, form)})
                    if not any(contains_phrase(kb.normalize(text), w) for w in words):
                        pairs.append(Case("dir.facet", text, base=original, origin=f"{subject} x {facet}"))
    return _draw_distinct(pairs, templates["sizes"]["directional_facet"], rng)


def _draw_distinct(cases: list[Case], size: int, rng: random.Random) -> list[Case]:
    """Draw up to `size` cases with distinct texts (the first pair of each text in generation order)."""
    distinct = list({case.text: case for case in reversed(cases)}.values())[::-1]
    return rng.sample(distinct, min(len(distinct), size))


def undescribed_forms(kb: KnowledgeBase, templates: dict[str, Any]) -> list[str]:
    """Return the subjects the page does not describe: the data's own, then the templates' list."""
    own = [s.name_in(language_of(templates)) for _, s in sorted(kb.subjects.items()) if not s.described]
    return list(dict.fromkeys(own + templates["directional"]["subjects"]))


def directional_subject_cases(kb: KnowledgeBase, templates: dict[str, Any], grid: list[Case],
                              rng: random.Random) -> list[Case]:
    """Swap the subject of grid questions for one the page does not describe; same question otherwise."""
    described = {alias: sid for alias, sid in kb.subject_aliases.items() if kb.subjects[sid].described}
    pairs: list[Case] = []
    for case in grid:
        for other in undescribed_forms(kb, templates):
            text = perturb.fill(case.template, slots(templates, other))
            normalized = kb.normalize(text)
            if not any(contains_phrase(normalized, alias) for alias in described):
                pairs.append(Case("dir.subject", text, base=case.text, origin=other))
    return _draw_distinct(pairs, templates["sizes"]["directional_subject"], rng)


TESTS = (
    TestSpec("mft.grid", "mft", "subject x facet grid: template questions answer the cell's intent"),
    TestSpec("inv.typos_05", "inv", "typos (drop, swap, double, accents, SMS) on 5 % of the words"),
    TestSpec("inv.typos_10", "inv", "typos on 10 % of the words"),
    TestSpec("inv.typos_15", "inv", "typos on 15 % of the words"),
    TestSpec("inv.persona", "inv", "a sentence of persona or context before the question"),
    TestSpec("inv.politeness", "inv", "greeting and/or closing around the question"),
    TestSpec("inv.keywords", "inv", "reduced to its key words"),
    TestSpec("inv.paraphrase", "inv", "a word replaced by a synonym the data never uses"),
    TestSpec("inv.identity", "inv", "a sentence saying who asks, naming an institution the page does not describe"),
    TestSpec("dir.facet", "dir", "facet swapped for one the page does not give: not answered"),
    TestSpec("dir.subject", "dir", "subject swapped for one the page does not describe: not answered"),
    TestSpec("dir.context", "dir", "a subject the page does not describe, then a pronoun question: not answered"),
)


def generate(kb: KnowledgeBase, templates: dict[str, Any], seed: int = DEFAULT_SEED) -> Suite:
    """Generate every case of the suite from the data and the templates; the same seed gives the same cases."""

    def rng(part: str) -> random.Random:
        return random.Random(f"{seed}:{part}")  # one stream per family: changing one leaves the others

    forms = subject_forms(kb, templates, rng("forms"))
    grid = grid_cases(kb, templates, forms, rng("grid"))
    cases: dict[str, list[Case]] = {"mft.grid": grid}
    bases = invariance_bases(kb, templates, grid, rng("bases"))
    cases |= invariance_cases(templates, bases, rng("invariance"))
    known = data_words(kb)
    cases["inv.paraphrase"] = paraphrase_cases(templates, bases, rng("paraphrase"),
                                               is_new=lambda word: not set(kb.normalize(word).split()) <= known)
    cases["dir.facet"] = directional_facet_cases(kb, templates, forms, rng("dir.facet"))
    cases["dir.subject"] = directional_subject_cases(kb, templates, grid, rng("dir.subject"))
    cases["inv.identity"] = identity_cases(templates, bases, rng("identity"))
    cases["dir.context"] = directional_context_cases(kb, templates, forms, rng("dir.context"))
    rates = {typo_test(r) for r in templates["typos"]["rates"]}
    tests = [t for t in TESTS if not t.name.startswith("inv.typos_") or t.name in rates]
    tests += [TestSpec(name, "inv", f"typos on {name[-2:]} % of the words")
              for name in sorted(rates - {t.name for t in TESTS})]
    return Suite(seed, tests, cases, dict(templates["targets"]), language_of(templates))
