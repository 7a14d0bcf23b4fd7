"""Synthetic knowledge bases for `faqbot bench`, and a TOML writer (the standard library only reads TOML).

The bases are generated deterministically from the shipped data: its subjects, facets, synonyms and
acronyms are kept; its examples become templates filled with new subjects ("le SSI de Dakar",
"l'ASI à Bamako"...; 16 examples per intent), written as real knowledge/ + intents/ + config.toml
folders, so the real loader and engine run on them.
"""

from __future__ import annotations

import json
import math
import random
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLES_PER_INTENT = 16  # examples generated for each intent
INTENTS_PER_SUBJECT = 20  # intents of each generated subject at most (one per facet the templates cover)
SEED = 20151105  # of the generated data (the page's date: any fixed number gives the same data every run)
MIN_PATTERNS = 4  # an intent of the shipped data becomes a template with this many distinct patterns
OPENER_RATE = 0.3  # share of the noisy questions that start with a greeting or « svp »
PLAIN_RATE = 0.3  # share of the questions typed without accents or capitals
TYPO_RATE = 0.4  # share of the noisy questions with a typo
TYPO_MIN_LETTERS = 5  # a typo goes in a word of this many letters or more
QUESTION_MARK_RATE = 0.5  # share of the questions that end with « ? »
HELD_OUT_TRIES = 50  # noisy questions drawn at most to find one that is no example
VARIANT_TRIES = 20  # noisy variants drawn at most per example wanted
SYNTHETIC_PREFIX = "zz-synth-"


# -- TOML writing (the standard library only reads TOML) ---------------------------------------
def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: dict[str, Any], header: str = "") -> str:
    """Return TOML text for `data`: scalars first, then one table per dict of dicts, then arrays of tables."""
    lines = [header] if header else []
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    arrays = {k: v for k, v in data.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items() if k not in tables and k not in arrays]
    for name, table in tables.items():
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        flat = {k: v for k, v in table.items() if k not in nested}
        if flat or not nested:
            lines += ["", f"[{_toml_key(name)}]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in flat.items()]
        for sub, values in nested.items():
            lines += ["", f"[{_toml_key(name)}.{_toml_key(sub)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items()]
    for name, items in arrays.items():
        for item in items:
            lines += ["", f"[[{_toml_key(name)}]]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def write_config(source: Path, target: Path, paths: dict[str, str]) -> None:
    """Write a copy of the config file `source` to `target` with its [paths] replaced."""
    with source.open("rb") as fh:
        raw = tomllib.load(fh)
    raw["paths"] = {**raw.get("paths", {}), **paths}
    target.write_text(dump_toml(raw), encoding="utf-8")


# -- synthetic knowledge bases -----------------------------------------------------------------
# Places where a French internal-security service could sit; each becomes synthetic subjects.
CITIES = """Dakar Bamako Niamey Ouagadougou Abidjan Conakry Lomé Cotonou Accra Abuja Yaoundé Douala Libreville
Brazzaville Kinshasa Bangui Ndjamena Khartoum Djibouti Addis-Abeba Nairobi Kampala Kigali Bujumbura Dar-es-Salam
Lusaka Harare Maputo Antananarivo Port-Louis Pretoria Luanda Windhoek Rabat Alger Tunis Tripoli Le-Caire Amman
Beyrouth Damas Bagdad Riyad Doha Abou-Dabi Mascate Koweït Téhéran Ankara Athènes Sofia Bucarest Belgrade Zagreb
Sarajevo Tirana Skopje Podgorica Ljubljana Vienne Budapest Bratislava Prague Varsovie Vilnius Riga Tallinn Helsinki
Stockholm Oslo Copenhague Berlin Amsterdam Bruxelles Luxembourg Berne Rome Madrid Lisbonne Londres Dublin
La-Valette Nicosie Moscou Kiev Chisinau Minsk Tbilissi Erevan Bakou Astana Tachkent Kaboul Islamabad New-Delhi
Colombo Dacca Katmandou Bangkok Hanoï Vientiane Phnom-Penh Kuala-Lumpur Singapour Jakarta Manille Pékin Tokyo
Séoul Canberra Wellington Washington Ottawa Mexico Guatemala San-Salvador Tegucigalpa Managua San-José Panama
La-Havane Saint-Domingue Port-au-Prince Bogota Caracas Quito Lima La-Paz Santiago Buenos-Aires Montevideo
Asuncion Brasilia Paramaribo Nouméa Papeete Praia Bissau Banjul Freetown Monrovia Malabo Sao-Tomé Asmara
Mogadiscio Lilongwe Gaborone Maseru Mbabane Moroni Victoria""".split()

# (display name, how users name it, part_of) of the kinds of synthetic subjects; {c} is the city.
SUBJECT_KINDS = (
    ("le SSI de {c}", ("SSI de {c}", "SSI {c}", "service de sécurité intérieure de {c}"), "ssi"),
    ("l'ASI à {c}", ("ASI à {c}", "ASI de {c}", "attaché de sécurité intérieure à {c}"), "asi"),
    ("le CSI de {c}", ("CSI de {c}", "CSI à {c}", "conseiller sûreté immigration de {c}"), ""),
    ("l'officier de liaison à {c}", ("officier de liaison à {c}", "officier de liaison de {c}"), ""),
    ("le bureau de coopération de {c}", ("bureau de coopération de {c}", "bureau de {c}"), ""),
)
OPENERS = ("bonjour", "bonjour,", "svp", "excusez-moi,", "une question :", "je voudrais savoir", "dites-moi",
           "salut,", "pouvez-vous me dire", "merci de me dire")
_ELIDE = {"le": "l'", "la": "l'", "de": "d'", "que": "qu'", "je": "j'", "ne": "n'", "se": "s'", "me": "m'", "te": "t'"}
_VOWELS = tuple("aeiouyhéèêàâîôûœ")


@dataclass(frozen=True)
class SyntheticSubject:
    id: str
    name: str
    aliases: tuple[str, ...]
    part_of: str


@dataclass(frozen=True)
class Template:
    """A shipped intent's examples with the subject they name replaced by {S}."""

    intent: str
    facet: str
    patterns: tuple[str, ...]


class FrenchRewriter:
    """Turn normalised (accent-free, elision-split) text back into readable French."""

    # Ambiguous once accents are gone (a/à, ou/où, la/là): left as users often type them.
    _KEEP = frozenset({"a", "ou", "la"})
    _INVERSION = frozenset({"il", "elle", "ils", "elles", "on"})

    def __init__(self, raw_texts: Iterable[str], acronyms: Iterable[str] = ()) -> None:
        from bot.text import strip_accents

        forms: dict[str, Counter[str]] = {}
        for text in raw_texts:
            for word in re.findall(r"[^\W\d_]+", text.casefold()):
                forms.setdefault(strip_accents(word), Counter())[word] += 1
        self.spelling = {bare: counts.most_common(1)[0][0] for bare, counts in forms.items() if bare not in self._KEEP}
        self.spelling.update({a.lower(): a.upper() for a in acronyms})

    def __call__(self, normalized: str) -> str:
        words = [self.spelling.get(w, w) for w in normalized.split()]
        out: list[str] = []
        i = 0
        while i < len(words):
            word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
            after = words[i + 2] if i + 2 < len(words) else ""
            if nxt == "tu" and after in self._INVERSION and out:  # "a tu elle" -> "a-t-elle"
                out.append(f"{word}-t-{after}")
                i += 3
            elif word == "est" and nxt == "ce":  # "est ce que" -> "est-ce que"
                out.append("est-ce")
                i += 2
            elif word in _ELIDE and nxt[:1].lower() in _VOWELS:  # "le asi" -> "l'ASI", "ce est" -> "c'est"
                words[i + 1] = _ELIDE[word] + nxt
                i += 1
            elif word == "ce" and nxt == "est":
                words[i + 1] = "c'est"
                i += 1
            else:
                out.append(word)
                i += 1
        text = " ".join(out)
        return text[:1].upper() + text[1:]


def _templates(kb: Any) -> list[Template]:
    """Return the shipped intents whose examples name their subject, as fill-in templates."""
    from bot.text import find_phrases

    aliases = {a: sid for sid, s in kb.subjects.items() if s.described for a in s.aliases}
    templates = []
    for intent_id in sorted(kb.intents):
        intent = kb.intents[intent_id]
        if not intent.subject:
            continue
        own = {intent.subject, *kb.ancestors(intent.subject)}
        patterns = []
        for example in intent.examples:
            text = kb.normalize(example)
            spans = find_phrases(text, aliases)
            span = next((s for s in spans if aliases[s[2]] in own), spans[0] if spans else None)
            if span is None or len(spans) > 1:  # another subject left in would be about two places at once
                continue
            toks = text.split()
            patterns.append(" ".join(toks[:span[0]] + ["{S}"] + toks[span[1]:]))
        patterns = list(dict.fromkeys(patterns))
        if len(patterns) >= MIN_PATTERNS:
            templates.append(Template(intent_id, intent.facet or intent_id.rsplit(".", 1)[-1], tuple(patterns)))
    return templates


def _subjects(count: int) -> list[SyntheticSubject]:
    """Return `count` synthetic subjects: every kind of service in each city, city by city."""
    subjects = []
    for n in range(count):
        city = CITIES[(n // len(SUBJECT_KINDS)) % len(CITIES)]
        round_ = n // (len(SUBJECT_KINDS) * len(CITIES))
        name, patterns, part_of = SUBJECT_KINDS[n % len(SUBJECT_KINDS)]
        place = city.replace("-", " ") + (f" {round_ + 1}" if round_ else "")
        aliases = tuple(p.format(c=place) for p in patterns)
        if n % len(SUBJECT_KINDS) == 0:
            aliases += (place,)  # the city alone means its SSI, as "Nouakchott" does in the shipped data
        subjects.append(SyntheticSubject(f"synth_{n:04d}", name.format(c=place), aliases, part_of))
    return subjects


def _typo(rng: random.Random, text: str) -> str:
    """Swap, drop or double one letter of one longer word."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= TYPO_MIN_LETTERS and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:
        words[i] = w[:j] + w[j + 1:]
    else:
        words[i] = w[:j] + w[j] + w[j:]
    return " ".join(words)


def _variant(rng: random.Random, pattern: str, subject: SyntheticSubject, rewrite: FrenchRewriter,
             noisy: bool) -> str:
    """Fill a template with one of the subject's names; add the noise users add."""
    from bot.text import strip_accents

    text = pattern.replace("{S}", rng.choice(subject.aliases))
    if noisy and rng.random() < OPENER_RATE:
        text = f"{rng.choice(OPENERS)} {text}"
    styled = rewrite(text)
    if rng.random() < PLAIN_RATE:
        styled = strip_accents(styled.lower())
    if noisy and rng.random() < TYPO_RATE:
        styled = _typo(rng, styled)
    if rng.random() < QUESTION_MARK_RATE:
        styled += " ?"
    return styled


def write_synthetic_kb(config: Any, size: int, root: Path, queries: int, seed: int = SEED) -> list[dict[str, str]]:
    """Write a knowledge base of `size` generated examples under `root`, with a config.toml.

    The shipped vocabulary (subjects, facets, synonyms, acronyms) is kept, so the same
    normalisation runs; the intents are generated. Returns `queries` held-out questions about
    generated intents (`text` and the expected `intent`), written like the examples but never
    among them.
    """
    from bot.reader import load_knowledge

    kb = load_knowledge(config.paths.knowledge, config.paths.intents)
    _copy_vocabulary(config, root)
    rng = random.Random(seed)
    templates = _templates(kb)
    rewrite = FrenchRewriter([e for i in kb.intents.values() for e in i.examples]
                             + [a.text for a in kb.answers.values()] + [a.title for a in kb.answers.values()],
                             kb.acronyms)
    per_subject = min(INTENTS_PER_SUBJECT, len({t.facet for t in templates}))
    n_intents = math.ceil(size / EXAMPLES_PER_INTENT)
    asked = set(random.Random(seed + 1).sample(range(n_intents), min(queries, n_intents)))
    held_out: list[dict[str, str]] = []
    written = 0
    for subject in _subjects(math.ceil(n_intents / per_subject)):
        intents, answers = [], []
        # One intent per facet and subject, as in the shipped data: two definitions of one subject
        # would be the same question.
        by_facet = {t.facet: t for t in rng.sample(templates, len(templates))}
        for template in list(by_facet.values())[:per_subject]:
            if written >= size:
                break
            examples = _examples(rng, template, subject, rewrite, min(EXAMPLES_PER_INTENT, size - written))
            intent_id = f"{subject.id}.{template.intent.replace('.', '_')}"
            intents.append({"id": intent_id, "answer": intent_id, "subject": subject.id, "facet": template.facet,
                            "examples": examples})
            answer = kb.answer_of(template.intent)
            answers.append({"id": intent_id, "title": f"{answer.title} ({subject.name})",
                            "text": f"{subject.name} : {answer.text}",
                            "source": "données synthétiques du banc d'essai"})
            if written // EXAMPLES_PER_INTENT in asked:
                question = _held_out(rng, template, subject, rewrite, set(examples))
                held_out.append({"text": question, "intent": intent_id})
            written += len(examples)
        if not intents:
            break
        header = f"# Generated by `faqbot bench`: intents about {subject.name}."
        subject_table = {"name": subject.name, "aliases": list(subject.aliases)}
        subject_table |= {"part_of": subject.part_of} if subject.part_of else {}
        name = f"{SYNTHETIC_PREFIX}{subject.id}.toml"
        (root / "intents" / name).write_text(dump_toml(
            {"topic": subject.id, "subjects": {subject.id: subject_table}, "intents": intents}, header),
            encoding="utf-8")
        (root / "knowledge" / name).write_text(dump_toml(
            {"topic": subject.id, "title": subject.name, "answers": answers}, header), encoding="utf-8")
    return held_out


def _copy_vocabulary(config: Any, root: Path) -> None:
    """Write the shipped data's vocabulary (acronyms, subjects, facets, synonyms: no questions) and a config.toml."""
    for folder, drop, target in ((config.paths.knowledge, {"answers"}, "knowledge"),
                                 (config.paths.intents, {"intents", "out_of_scope"}, "intents")):
        (root / target).mkdir(parents=True)
        for path in sorted(folder.glob("*.toml")):
            with path.open("rb") as fh:
                raw = {k: v for k, v in tomllib.load(fh).items() if k not in drop}
            if set(raw) - {"topic", "title"}:  # vocabulary worth keeping
                (root / target / path.name).write_text(dump_toml(raw), encoding="utf-8")
    write_config(config.path, root / "config.toml", {
        "knowledge": "knowledge", "intents": "intents", "cache": ".cache", "source": str(config.paths.source),
        "unanswered_log": "var/unanswered.jsonl", "persistence": "var/telegram.pickle",
        "evaluation": str(config.paths.evaluation)})


def _held_out(rng: random.Random, template: Template, subject: SyntheticSubject, rewrite: FrenchRewriter,
              examples: set[str]) -> str:
    """Return a noisy question for an intent that is not one of its examples."""
    text = ""
    for _ in range(HELD_OUT_TRIES):
        text = _variant(rng, rng.choice(template.patterns), subject, rewrite, True)
        if text not in examples:
            break
    return text


def _examples(rng: random.Random, template: Template, subject: SyntheticSubject, rewrite: FrenchRewriter,
              count: int) -> list[str]:
    """Return `count` distinct examples: each pattern once, then noisy variants."""
    out: dict[str, None] = {}
    patterns = list(template.patterns)
    rng.shuffle(patterns)
    for pattern in patterns:
        if len(out) >= count:
            break
        out[_variant(rng, pattern, subject, rewrite, False)] = None
    for _ in range(count * VARIANT_TRIES):
        if len(out) >= count:
            break
        out[_variant(rng, rng.choice(patterns), subject, rewrite, True)] = None
    return list(out)
