"""`faqbot check`: every kind of broken data gives one clear line naming the file and the id."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import load_config
from bot.provenance import find_facts
from bot.tools.checks import check_data, format_problem, telegram_length

NEW_INTENT = '''
[[intents]]
id = "{id}"
answer = "{answer}"
{extra}examples = [{examples}]
'''
# Eight questions unlike any shipped example: a new intent with them collides with nothing.
FRESH = ["budget annuel prevu", "combien d'argent depense", "montant des credits alloues", "ressources financieres",
         "quel financement recoit", "enveloppe budgetaire votee", "depenses de fonctionnement", "cout total annuel"]


def examples(items: list[str]) -> str:
    return ", ".join(json.dumps(e, ensure_ascii=False) for e in items)


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file to edit, relative to the data copy
    old: str  # text to replace ("" = append `new` to the file)
    new: str
    where: str  # the file the problem line must name
    item: str  # the id it must name
    says: str  # part of the message
    severity: str = "error"


CASES = [
    Case("syntax error", "knowledge/dci.toml", 'title = "Quand la DCI a-t-elle été créée ?"',
         'title = "Quand la DCI a-t-elle été créée ?', "knowledge/dci.toml", "-", "TOML syntax error"),
    Case("unknown key", "intents/dci.toml", 'id = "dci.creation"\n', 'id = "dci.creation"\nreponse = "x"\n',
         "intents/dci.toml", "dci.creation", "unknown key 'reponse'"),
    Case("missing key", "knowledge/dci.toml",
         'source = "§1 « La Direction de la Coopération Internationale DCI », partie « Une quête de cohérence et '
         "d'efficience »\"\n", "", "knowledge/dci.toml", "dci.efficience", "missing key 'source'"),
    Case("wrong type", "knowledge/reseau-asi.toml", 'as_of = "2015-11-05"', "as_of = 2015-11-05",
         "knowledge/reseau-asi.toml", "asi.reseau", "'as_of' must be a str, got date"),
    Case("duplicate intent id", "intents/dci.toml", "",
         NEW_INTENT.format(id="dci.creation", answer="dci.creation", extra="", examples=examples(FRESH)),
         "intents/dci.toml", "dci.creation", "duplicate intent id"),
    Case("duplicate answer id", "knowledge/ssi.toml", "",
         '\n[[answers]]\nid = "dci.creation"\ntitle = "Création"\ntext = "Créée en 2010."\nsource = "§1"\n',
         "knowledge/ssi.toml", "dci.creation", "duplicate answer id (also in dci.toml)"),
    Case("intent points at a missing answer", "intents/dci.toml", "",
         NEW_INTENT.format(id="dci.budget", answer="dci.budget", extra="", examples=examples(FRESH)),
         "intents/dci.toml", "dci.budget", "points at answer 'dci.budget', which no file"),
    Case("unknown subject", "intents/dci.toml", "",
         NEW_INTENT.format(id="dci.budget", answer="dci.creation", extra='subject = "fbi"\n',
                           examples=examples(FRESH)),
         "intents/dci.toml", "dci.budget", "unknown subject 'fbi'"),
    Case("answer no intent uses", "knowledge/dci.toml", "",
         '\n[[answers]]\nid = "dci.date"\ntitle = "Date"\ntext = "Le 1er septembre 2010."\nsource = "§1"\n',
         "knowledge/dci.toml", "dci.date", "no intent uses this answer", "warning"),
    Case("same example twice in one intent", "intents/dci.toml", '"date de creation dci",',
         '"date de creation dci", "Date de création DCI ?",', "intents/dci.toml", "dci.creation",
         "repeats 'date de creation dci'", "warning"),
    Case("same example in two intents", "intents/dci.toml", '"date de creation dci",',
         '"date de creation dci", "Qu\'est-ce que la D.C.I. ?",', "intents/dci.toml", "dci.creation",
         "also an example of intent dci.definition (dci.toml:", "error"),
    Case("near-duplicate examples across intents", "intents/dci.toml", '"date de creation dci",',
         '"date de creation dci", "dci definitions",', "intents/dci.toml", "dci.creation",
         "similar to 'dci definition' of intent dci.definition (dci.toml:", "warning"),
    Case("too few examples", "intents/dci.toml", "",
         NEW_INTENT.format(id="dci.budget", answer="dci.creation", extra="", examples=examples(FRESH[:3])),
         "intents/dci.toml", "dci.budget", "only 3 examples (min_examples = ", "warning"),
    Case("empty answer", "knowledge/dci.toml", 'text = """La DCI (Direction de la coopération internationale) a été '
         'créée le 1er septembre 2010."""', 'text = """  """', "knowledge/dci.toml", "dci.creation",
         "empty answer text"),
    Case("answer longer than a Telegram message", "knowledge/dci.toml", 'text = """Pour mieux contrer',
         'text = """' + "La coopération entre pays doit s'accentuer. " * 100 + "Pour mieux contrer",
         "knowledge/dci.toml", "dci.raison", "more than one Telegram message (4096)"),
    Case("translation longer than a Telegram message", "knowledge/dci.toml", 'text_en = """To better counter',
         'text_en = """' + "Cooperation between countries must grow. " * 100 + "To better counter",
         "knowledge/dci.toml", "dci.raison", "its en version is 4"),
    Case("phone number not in the source", "knowledge/ssi-nouakchott.toml", "est le 45 29 95 76",
         "est le 45 29 95 77", "knowledge/ssi-nouakchott.toml", "nouakchott.telephone",
         "phone number '45 29 95 77' does not appear in the source document"),
    Case("e-mail not in the source", "knowledge/ssi-nouakchott.toml",
         "électronique tristan.coudert@diplomatie.gouv.fr", "électronique t.coudert@diplomatie.gouv.fr",
         "knowledge/ssi-nouakchott.toml", "nouakchott.courriel", "e-mail 't.coudert@diplomatie.gouv.fr'"),
    Case("date not in the source", "knowledge/dci.toml", "créée le 1er septembre 2010", "créée le 1er septembre 2011",
         "knowledge/dci.toml", "dci.creation", "date '1er septembre 2011' does not appear"),
    Case("number not in the source", "knowledge/reseau-asi.toml", "composé de 250 policiers",
         "composé de 260 policiers", "knowledge/reseau-asi.toml", "asi.reseau", "number '260' does not appear"),
    Case("acronym not in the source", "knowledge/dci.toml", "des services de renseignement.\"\"\"",
         "des services de renseignement, comme l'OCRTIS.\"\"\"", "knowledge/dci.toml", "dci.missions",
         "acronym 'OCRTIS' does not appear"),
    Case("number written in words", "knowledge/dci.toml", "créée le 1er septembre 2010.",
         "créée le 1er septembre 2010. Elle compte cent vingt agents.", "knowledge/dci.toml", "dci.creation",
         "number in words 'cent vingt' does not appear in the source document"),
    Case("name in capitals is a name, not an acronym", "knowledge/dci.toml", "créée le 1er septembre 2010.",
         "créée le 1er septembre 2010 par M. DUPONT.", "knowledge/dci.toml", "dci.creation",
         "name 'DUPONT' does not appear in the source document"),
    Case("made-up lowercase name", "knowledge/dci.toml", "créée le 1er septembre 2010.",
         "créée le 1er septembre 2010 par m. dupont.", "knowledge/dci.toml", "dci.creation",
         "name 'dupont' does not appear in the source document"),
    Case("ministry the page never names", "knowledge/dci.toml", "créée le 1er septembre 2010.",
         "créée le 1er septembre 2010 par le ministère de la Justice.", "knowledge/dci.toml", "dci.creation",
         "institution 'ministere de la justice' does not appear in the source document"),
    Case("number of the page used for another fact", "knowledge/dci.toml", "créée le 1er septembre 2010.",
         "créée en 1961.", "knowledge/dci.toml", "dci.creation",
         "number '1961' is in the source document dci-asi-ssi-nouakchott.txt, but only in sentences about something "
         "else"),
    Case("an id that is not a string", "intents/dci.toml", "",
         '\n[[intents]]\nid = 5\nanswer = "dci.creation"\nexamples = ["x"]\n', "intents/dci.toml", "id = 5",
         "'id' must be a str, got int"),
    Case("unclosed bracket at the end of a file", "intents/dci.toml", "",
         '\n[[intents]]\nid = "dci.x"\nanswer = "dci.creation"\nexamples = [\n  "x",\n', "intents/dci.toml", "-",
         "(at end of document)"),
    Case("top-level table of the wrong type", "knowledge/dci.toml", 'topic = "dci"\n',
         'topic = "dci"\nacronyms = "DCI"\n', "knowledge/dci.toml", "-", "top-level 'acronyms' must be a dict"),
    Case("two intents answer the same facet", "intents/dci.toml", "",
         NEW_INTENT.format(id="dci.zbudget", answer="dci.creation", extra='subject = "dci"\nfacet = "creation"\n',
                           examples=examples(FRESH)),
         "intents/dci.toml", "dci.zbudget", "another intent already answers facet 'creation'"),
    Case("a list names an unknown answer", "knowledge/ssi.toml", '"ssi.communaute", "ssi.accords"]',
         '"ssi.communaute", "ssi.budget"]', "knowledge/ssi.toml", "ssi.missions",
         "items names 'ssi.budget', which is not an answer any intent gives"),
    Case("a setting names a topic no file defines", "config.toml",
         'help_line_hidden_topics = ["conversation", "a-propos"]',
         'help_line_hidden_topics = ["conversation", "apropos"]',
         "config.toml", "[dialogue] help_line_hidden_topics",
         "names topic 'apropos', which no knowledge file defines (did you mean 'a-propos'?)"),
    Case("a setting names an answer no file defines", "config.toml", 'contact_answer = "nouakchott.coordonnees"',
         'contact_answer = "nouakchott.contact"', "config.toml", "[telegram] contact_answer",
         "names answer 'nouakchott.contact', which no knowledge file defines"),
]


def edit(root: Path, case: Case) -> None:
    path = root / case.file
    text = path.read_text(encoding="utf-8")
    if case.old:
        assert text.count(case.old) == 1, f"{case.name}: the text to replace must occur once in {case.file}"
        text = text.replace(case.old, case.new)
    else:
        text += case.new
    path.write_text(text, encoding="utf-8")


def lines(config_path: Path) -> list[tuple[str, str]]:
    """Return (severity, line) of every problem `check` finds in the data next to `config_path`."""
    config = load_config(config_path)
    return [(p.severity, format_problem(p, config_path.parent)) for p in check_data(config)]


@functools.cache
def shipped_lines() -> list[tuple[str, str]]:
    return lines(Path(__file__).resolve().parent.parent / "config.toml")


def _about_translations(line: str) -> bool:
    """Tell whether a problem is about the English or Arabic versions (an edit of the French text shifts them)."""
    return " translation " in line or "(examples_" in line


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_data_gives_one_clear_line(data_copy: Path, case: Case) -> None:
    before = shipped_lines()
    edit(data_copy.parent, case)
    # An edited French text no longer matches its translations: that is the translations' check, not this case.
    new = [(severity, line) for severity, line in lines(data_copy)
           if (severity, line) not in before and not _about_translations(line)]
    assert len(new) == 1, "\n".join(line for _, line in new)
    severity, line = new[0]
    assert severity == case.severity
    assert line.startswith(case.where + (":" if ":" not in case.where else ""))
    assert f": {case.item}: " in line
    assert case.says in line


def test_a_duplicate_id_points_at_the_new_copy(data_copy: Path) -> None:
    knowledge = data_copy.parent / "knowledge" / "dci.toml"
    text = knowledge.read_text(encoding="utf-8")
    copy = '\n[[answers]]\nid = "dci.creation"\ntitle = "Création"\ntext = "La DCI."\nsource = "§1"\n'
    knowledge.write_text(text + copy, encoding="utf-8")
    line = len((text + "\n").splitlines()) + 2  # the copy's id line
    found = [x for _, x in lines(data_copy) if "duplicate answer id" in x]
    assert found and found[0].startswith(f"knowledge/dci.toml:{line}: dci.creation: duplicate answer id")


def test_unclosed_bracket_names_the_line_where_it_opens(data_copy: Path) -> None:
    intents = data_copy.parent / "intents" / "dci.toml"
    text = intents.read_text(encoding="utf-8")
    intents.write_text(text + '\n[[intents]]\nid = "dci.x"\nanswer = "dci.creation"\nexamples = [\n  "x",\n',
                       encoding="utf-8")
    line = len((text + "\n").splitlines()) + 4  # the `examples = [` line
    assert any(x.startswith(f"intents/dci.toml:{line}: -: TOML syntax error") for _, x in lines(data_copy))


def test_shipped_data_passes(run_faqbot) -> None:
    result = run_faqbot("check")
    assert result.returncode == 0, result.stdout
    assert "0 error(s)" in result.stdout
    assert result.stderr == ""


def test_check_json_lists_errors_and_warnings_apart(run_faqbot) -> None:
    result = run_faqbot("check", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0
    assert report["ok"] is True and report["errors"] == []
    assert all(set(w) == {"path", "line", "id", "message", "text"} for w in report["warnings"])


def test_cli_reports_a_syntax_error_with_its_line_and_exits_1(run_faqbot, data_copy: Path) -> None:
    text = (data_copy.parent / CASES[0].file).read_text(encoding="utf-8")
    line = text[: text.index(CASES[0].old)].count("\n") + 1
    edit(data_copy.parent, CASES[0])
    result = run_faqbot("check", "--config", str(data_copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stdout.split("warnings (")[0]
    assert errors.startswith(f"errors (1):\nknowledge/dci.toml:{line}: -: TOML syntax error")


def test_cli_reports_a_fact_missing_from_the_source(run_faqbot, data_copy: Path) -> None:
    phone = next(c for c in CASES if c.name == "phone number not in the source")
    edit(data_copy.parent, phone)
    result = run_faqbot("check", "--config", str(data_copy), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["ok"] is False
    [error] = [e for e in report["errors"] if not _about_translations(e["text"])]
    assert (error["path"], error["id"]) == ("knowledge/ssi-nouakchott.toml", "nouakchott.telephone")
    assert error["line"] is not None


def test_cli_on_unreadable_file_is_one_line_without_traceback(run_faqbot, data_copy: Path) -> None:
    (data_copy.parent / "intents" / "dci.toml").write_bytes(b"\xff\xfe not utf-8")
    result = run_faqbot("check", "--config", str(data_copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "intents/dci.toml: -: cannot read the file" in result.stdout


def test_missing_source_document_is_an_error(data_copy: Path) -> None:
    (data_copy.parent / "knowledge" / "source" / "dci-asi-ssi-nouakchott.txt").unlink()
    [(severity, line)] = [x for x in lines(data_copy) if x[0] == "error"]
    assert line.startswith("config.toml: paths.source: cannot read the source document")


@pytest.mark.parametrize(("text", "kind", "key"), [
    ("Tél. 45.29.95.76", "phone number", "45299576"),
    ("télécopie 45 25 64 52", "phone number", "45256452"),
    ("le 05/11/2015", "date", "2015-11-05"),
    ("le 5 novembre 2015", "date", "2015-11-05"),
    ("as_of 2015-11-05", "date", "2015-11-05"),
    ("le 1er septembre 2010", "date", "2010-09-01"),
    ("en septembre 2010", "date", "2010-09-00"),
    ("composé de 250 policiers", "number", "250"),
    ("B..P. 231", "acronym", "BP"),
    ("la D.C.I. et le S.S.I", "acronym", "DCI"),
    ("Courriel : Tristan.Coudert@diplomatie.gouv.fr", "e-mail", "tristan.coudert@diplomatie.gouv.fr"),
])
def test_facts_are_found_in_their_usual_spellings(text: str, kind: str, key: str) -> None:
    assert (kind, key) in {(f.kind, f.key) for f in find_facts(text)}


def test_digits_of_a_phone_or_date_are_not_numbers_of_their_own() -> None:
    assert [f.kind for f in find_facts("le 45 29 95 76 (information du 05/11/2015)")] == ["date", "phone number"]


def test_telegram_counts_utf16_units() -> None:
    assert telegram_length("é😀") == 3


def test_a_broken_subjects_file_is_one_error_not_one_per_intent_naming_them(run_faqbot, data_copy: Path) -> None:
    vocabulary = data_copy.parent / "intents" / "vocabulary.toml"
    text = vocabulary.read_text(encoding="utf-8")
    vocabulary.write_text(text.replace('"immigration irreguliere" = [', "immigration irreguliere = [", 1),
                          encoding="utf-8")
    line = text[: text.index('"immigration irreguliere" = [')].count("\n") + 1
    result = run_faqbot("ask", "--config", str(data_copy), "Qu'est-ce que la DCI ?")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = result.stderr.split("run `faqbot check`:\n", 1)[1].strip().splitlines()
    # Every intent names a subject of that file: none of them is reported, the syntax error is.
    assert len(errors) == 1 and f"vocabulary.toml:{line}: -: TOML syntax error" in errors[0]
