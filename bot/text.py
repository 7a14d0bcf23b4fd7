"""Text normalisation shared by the matcher, the dialogue and the maintainers' tools.

French is the reference: with another language (`[text] language`, e.g. "en" for CLINC150)
the elisions and SMS spellings, which are French, are left alone.

`normalize` turns messy user French into a canonical, accent-free, lowercase string of
space-separated tokens: elisions are split, common SMS spellings are rewritten, dotted
acronyms are joined and the long forms of known acronyms are replaced by the acronym, so
"C koi la Direction de la coopération internationale ?" and "c'est quoi la D.C.I" both
become "ce est quoi la dci".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

from bot.language import FOREIGN_STOPWORDS, fold_arabic

# Elided articles and pronouns: "l'ASI" -> "le asi", "qu'est-ce" -> "que est ce".
_ELISIONS = {
    "l": "le", "d": "de", "j": "je", "n": "ne", "s": "se", "m": "me", "t": "te", "c": "ce",
    "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque", "quoiqu": "quoique",
}
_ELISION_RE = re.compile(r"\b(" + "|".join(sorted(_ELISIONS, key=len, reverse=True)) + r")'")
# English negations ("don't", "can't"): French has no "n't", and the lone "t" they would leave is the SMS "t" (tu).
_NEGATION_RE = re.compile(r"\b(\w+)n't\b")
_NEGATION_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}

# English words whose « 's » is « is » (« what's », « that's »; « whats » typed without the apostrophe).
_IS_CONTRACTED = ("what", "who", "where", "when", "how", "that", "it", "there", "here")

# SMS and informal spellings, applied token by token after accents are removed.
SMS_FORMS: Mapping[str, str] = {
    "c": "ce est", "cest": "ce est", "sest": "se est", "koi": "quoi", "kwa": "quoi", "quoa": "quoi",
    "ki": "qui", "ke": "que", "keske": "que est ce que", "kesako": "que est ce que",
    "kel": "quel", "kels": "quel", "kelle": "quel", "kelles": "quel", "quels": "quel",
    "quelle": "quel", "quelles": "quel", "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi",
    "pourkoi": "pourquoi", "prq": "pourquoi", "ya": "il y a", "qd": "quand", "kan": "quand",
    "kand": "quand", "cmt": "comment", "cmnt": "comment", "koment": "comment", "komen": "comment",
    "comen": "comment", "bjr": "bonjour", "bsr": "bonsoir", "slt": "salut", "stp": "svp",
    "mrc": "merci", "mci": "merci", "tel": "telephone", "tél": "telephone", "tels": "telephone",
    "telephones": "telephone", "num": "numero", "numeros": "numero", "mail": "courriel",
    "mails": "courriel", "email": "courriel", "emails": "courriel", "mel": "courriel",
    "courriels": "courriel", "telecopie": "fax", "telecopieur": "fax", "ds": "dans", "pr": "pour",
    "ac": "avec", "avc": "avec", "tt": "tout", "bcp": "beaucoup", "dc": "donc", "chui": "je suis",
    "chuis": "je suis", "jsuis": "je suis", "jsp": "je ne sais pas", "vs": "vous", "qqn": "quelqu un",
    "qqch": "quelque chose", "infos": "information", "info": "information",
    "informations": "information", "pb": "probleme", "cb": "combien", "cbn": "combien",
    "auj": "aujourd hui", "nb": "nombre", "nbr": "nombre", "ajd": "aujourd hui", "t": "tu", "ct": "ce etait",
    "g": "je ai",
    "pcq": "parce que", "pck": "parce que", "psk": "parce que", "tjrs": "toujours", "tjs": "toujours",
    "mtn": "maintenant", "mnt": "maintenant", "ptet": "peut etre", "ptetre": "peut etre", "dsl": "desole",
    "vrmt": "vraiment", "qlq": "quelque", "qq": "quelques", "qqs": "quelques", "svpl": "svp", "slvp": "svp",
    "jveux": "je veux", "jvoudrais": "je voudrais", "jsais": "je sais", "jpeux": "je peux", "px": "peux",
    "cmb": "combien", "koman": "comment", "kesk": "que est ce que", "kesske": "que est ce que",
    "ske": "ce que", "msi": "merci", "mr6": "merci", "ns": "nous",
    # informal abbreviations of the domain's words
    "secu": "securite", "coop": "cooperation", "coops": "cooperation", "coope": "cooperation",
    "prog": "programme", "progs": "programmes", "coord": "coordonnees", "coords": "coordonnees",
    "adr": "adresse", "addresse": "adresse", "tph": "telephone", "teleph": "telephone",
    "adj": "adjoint", "cdt": "commandant", "cmdt": "commandant",
    # English « 's » typed without its apostrophe (« its » stays the possessive)
    **{f"{word}s": f"{word} is" for word in _IS_CONTRACTED if word != "it"},
}
_SMS_BIGRAMS = {("e", "mail"): "courriel", ("e", "mails"): "courriel", ("y", "a"): "y a",
                ("c", "est"): "ce est", ("c", "etait"): "ce etait",  # « c est », typed without its apostrophe
                # English « 's » after a question word or a pronoun is « is » (« what's », typed « whats » too)
                **{(word, "s"): f"{word} is" for word in _IS_CONTRACTED}}

_DOTTED_ACRONYM_RE = re.compile(r"\b(?:[a-z]\.){2,}(?:[a-z]\b\.?)?")
_A_PLUS_RE = re.compile(r"\ba\+(?!\w)")
_NON_WORD_RE = re.compile(r"[^a-z0-9@\u0621-\u064a]+")  # Arabic letters are words too
_SPACES_RE = re.compile(r"\s+")

# Short words that may sit between the words of an acronym's long form.
_LINK_WORDS = ("de", "la", "le", "les", "du", "des", "en", "a", "au", "aux", "et", "contre", "l", "d")


class _CombiningMarks(dict[int, int | None]):
    """A str.translate table deleting combining marks, filled in as characters are met."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_COMBINING_MARKS = _CombiningMarks()


def strip_accents(text: str) -> str:
    """Return `text` without diacritics (é -> e, œ -> oe)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).translate(_COMBINING_MARKS)


def _basic(text: str, french: bool = True) -> str:
    """Lowercase, remove accents, split elisions (French) and negations (English), join acronyms, drop punctuation."""
    text = strip_accents(fold_arabic(text).casefold())  # Arabic variants folded: bot/language.py
    text = text.replace("’", "'").replace("`", "'").replace("´", "'").replace("‘", "'")
    text = _NEGATION_RE.sub(lambda m: _NEGATION_STEMS.get(m.group(1), m.group(1)) + " not", text)
    if french:
        text = _ELISION_RE.sub(lambda m: _ELISIONS[m.group(1)] + " ", text)
    text = _DOTTED_ACRONYM_RE.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    text = _A_PLUS_RE.sub(" a plus ", text)  # "a+" is "à plus" before "+" goes with the punctuation
    return _SPACES_RE.sub(" ", _NON_WORD_RE.sub(" ", text)).strip()


def _rewrite_sms(tokens: list[str]) -> list[str]:
    """Rewrite SMS spellings token by token (and a few two-token forms)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i:i + 2])
        if pair in _SMS_BIGRAMS:
            out.extend(_SMS_BIGRAMS[pair].split())
            i += 2
            continue
        out.extend(SMS_FORMS.get(tokens[i], tokens[i]).split())
        i += 1
    return out


class Lexicon:
    """Domain vocabulary applied after the generic rules.

    `acronyms` maps an acronym to its long form: the long form (tolerant to plurals and link
    words) is replaced by the acronym. `synonyms` maps a canonical word to the words or phrases
    users say instead ("boulot" -> "missions"). `names` are the subjects' names: in Arabic, the
    preposition joined to one (« بمصلحة ») is cut off.
    """

    def __init__(self, acronyms: Mapping[str, str] | None = None,
                 synonyms: Mapping[str, Iterable[str]] | None = None, language: str = "fr",
                 names: Iterable[str] = ()) -> None:
        self.language = language  # "fr": elisions and SMS spellings are French ones; other languages skip them
        # Arabic words of the subjects' names: « بمصلحة », « لملحق », « بنواكشوط » are the name with the
        # preposition ب, ل or ك joined to it (the light stemmer strips those only before the article, since
        # so many words begin with these letters: « برنامج », « لجنة »).
        arabic = (fold_arabic(w) for n in names for w in n.split() if not w.isascii())
        self.names = frozenset(w for w in arabic if len(w) >= 3)
        self.acronyms = {k.lower(): v for k, v in (acronyms or {}).items()}
        link = r"(?:\s+(?:" + "|".join(_LINK_WORDS) + r"))*\s+"
        patterns = []
        for acronym, long_form in sorted(self.acronyms.items(), key=lambda kv: -len(kv[1])):
            words = [w for w in _rewrite_sms(_basic(long_form).split()) if w not in _LINK_WORDS]
            if words:
                body = link.join(re.escape(w) + "e?s?" for w in words)  # plural, feminine (« attachée »)
                patterns.append((re.compile(r"\b" + body + r"\b"), acronym, words[0]))
        self._acronym_patterns = patterns
        self._synonyms: dict[str, str] = {}
        phrases = []
        for canonical, variants in (synonyms or {}).items():
            target = " ".join(_rewrite_sms(_basic(canonical).split()))
            for variant in variants:
                form = " ".join(_rewrite_sms(_basic(variant).split()))
                if " " in form:
                    phrases.append((re.compile(r"\b" + re.escape(form) + r"\b"), target, form))
                elif form:
                    self._synonyms[form] = target
        self._phrase_synonyms = sorted(phrases, key=lambda p: -len(p[0].pattern))

    def apply(self, text: str) -> str:
        """Contract acronyms' long forms and rewrite synonyms in normalised `text`."""
        # A pattern whose first word is not in the text cannot match: skip the regex.
        for pattern, acronym, needle in self._acronym_patterns:
            if needle in text:
                text = pattern.sub(acronym, text)
        for pattern, target, needle in self._phrase_synonyms:
            if needle in text:
                text = pattern.sub(target, text)
        if self._synonyms:
            text = " ".join(self._synonyms.get(t, t) for t in text.split())
        if self.names:
            text = " ".join(t[1:] if t[0] in _JOINED_PREPOSITIONS and t[1:] in self.names else t for t in text.split())
        return text


_JOINED_PREPOSITIONS = frozenset("بلك")
_EMPTY_LEXICON = Lexicon()
MAX_TEXT_CHARS = 2000  # a question longer than this is judged on its beginning


@lru_cache(maxsize=8192)
def _normalize_cached(text: str, lexicon: Lexicon) -> str:
    if lexicon.language != "fr":
        return lexicon.apply(_basic(text, french=False))
    return lexicon.apply(" ".join(_rewrite_sms(_basic(text).split())))


def normalize(text: str, lexicon: Lexicon | None = None) -> str:
    """Return the canonical form of `text` (see the module docstring)."""
    return _normalize_cached(text[:MAX_TEXT_CHARS], lexicon or _EMPTY_LEXICON)


def find_phrases(normalized: str, phrases: Iterable[str]) -> list[tuple[int, int, str]]:
    """Return non-overlapping (start, end, phrase) token spans of `phrases` in `normalized`, longest first."""
    return PhraseFinder(phrases).find(normalized)


class PhraseFinder:
    """Find a fixed set of phrases in texts: longest phrases first, no two spans overlapping.

    Each phrase is filed under its rarest word and only phrases whose words all occur in the text
    are tried, so the cost does not grow with the number of phrases ("ssi de dakar" is filed under
    "dakar", not under "ssi").
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        unique = {p: tuple(p.split()) for p in set(phrases)}
        df = Counter(w for words in unique.values() for w in set(words))
        self._by_word: dict[str, list[tuple[int, str, tuple[str, ...], frozenset[str]]]] = {}
        for phrase, words in unique.items():
            if words:
                key = min(sorted(set(words)), key=df.__getitem__)
                self._by_word.setdefault(key, []).append((-len(words), phrase, words, frozenset(words)))

    def find(self, normalized: str) -> list[tuple[int, int, str]]:
        """Return the (start, end, phrase) token spans found in `normalized`, in text order."""
        toks = normalized.split()
        present = set(toks)
        entries = sorted({e[:3] for t in present for e in self._by_word.get(t, ()) if e[3] <= present})
        taken = [False] * len(toks)
        found: list[tuple[int, int, str]] = []
        for _, phrase, words in entries:
            n = len(words)
            for i in range(len(toks) - n + 1):
                if toks[i] == words[0] and tuple(toks[i:i + n]) == words and not any(taken[i:i + n]):
                    taken[i:i + n] = [True] * n
                    found.append((i, i + n, phrase))
        return sorted(found)


# Words that carry no topic: articles, pronouns, question words, politeness, generic verbs.
STOPWORDS = frozenset("""
a ai aie ais ait as au aux avec avez avoir avons ayant bah ben bien bon ca ce ceci cela celle celles
celui ces cet cette chez ci comme comment concernant concerne dans de des dire dis dit doit donc donne
donner donnez dont du elle elles en encore es est et etaient etais etait etant ete etes etre eu eux
exactement explique expliquer expliquez faire fais fait faut hein ici il ils informer information
indiquer indiquez je juste la le les leur leurs lui ma mais me merci meme mes moi mon ne ni non nos
notre nous on ont ou oui par parle parler pas peu peut peux pouvez pourriez pourrais pourrait pour
pourquoi propos qu quand que quel qui quoi sa sais savoir se ses si sil son sont souhaite souhaiterais
suis sur svp ta te tes toi ton tu un une vos votre vous voudrais voulez voudriez aimerais aimerai
veut veux vouloir y svp plait plaît stp salut bonjour bonsoir coucou hello svp alors aussi ok okay
dites connaitre renseigner renseignement renseignements renseignez cherche trouver question questions
besoin quelqu quelque chose combien ya avez-vous est-ce lequel laquelle lesquels lesquelles
tout tous toute toutes plus moins tres trop assez bien mal autre autres deja encore toujours jamais
souvent parfois vraiment simplement concretement exactement precisement general generalement
quotidien quotidiennement actuellement aujourd hui maintenant comprends comprend comprendre file filer filez
explication expliquer trouve trouver trouvent passe passer prend prendre mettre met rend rendre
genre sorte type lu vu entendu article exemple necessaire utile possible important exactement
longtemps svp voila oui non peut-etre envie interesse interessee etudiant etudiante expose
prepare preparer travail boulot fais font faites dis disent veux voulais voudrait aimerait
quelles quels chose choses truc machin gens personne personnes monde un deux en gros bref
designe designent designer designait designaient designez signifie signifient signifier signifiait
signifiaient signification recouvre recouvrent recouvrir consiste consistent consister consistait
agit agissait correspond correspondent correspondre correspondait entend entendre entendez entendons
expliques expliquent expliquerais expliqueriez expliquerait expliquiez explications developpez developper
developperiez developpe
detaillez detailler detail details precisez preciser precision precisions presentez presenter
presentation resumez resumer resume decrire decrivez decris decrit definir definissez definiriez
eclairer eclairez raconter racontez raconte citer citez lister listez liste enumerer enumerez aider
aidez aidiez aideriez aiderais sait savez savons savent saurais saurait sauriez savais savait
connais connait connaissez connaissons connaissent connaitrais connaitriez comprenez comprenons
apprendre demande demander demandais demandez demanderais renseigne renseigneriez informez montrer
montrez voir lire lis pense pensez penser crois croyez croire semble chercher cherchais recherche
recherches parlez parlons parlent dirais diriez disons ecoute ecoutez excuse excusez pardon desole
desolee remercie remercions remerciant remerciements cordialement salutations prie please pouvons
peuvent pourrions pourraient pourrai pouvait pouvaient puis puisse dois devez devons doivent devrais
devrait devriez devrions devraient devait devaient veulent voulons voudrions voudraient voulait
voulu faudrait fallait vais va vas allez allons vont aller allait serait seraient serais sommes soit
soient fut avait avaient avais aurait auraient aurais eue ayez ferait feraient faisait faisaient
faisons monsieur madame mademoiselle messieurs mesdames mesdemoiselles mme mmes mlle mr cher chere
chers cheres euh heu hum hmm mmh ah oh eh ouais bof tiens franchement honnetement enfin ainsi car
parce afin cependant pourtant toutefois neanmoins sinon notamment surtout egalement seulement
uniquement plutot environ presque tellement beaucoup probablement vite rapidement brievement
succinctement globalement grosso modo principalement clairement simple mot mots phrase ceux duquel
auquel auxquels auxquelles desquels desquelles quelques quelconque aucun aucune chaque certains
certaines plusieurs memes soi sans sous vers entre contre pendant durant lors selon parmi via pres
aupres jusque lorsque puisque quoique malgre quant ensuite abord tard tot mieux sigle
different differente differents differentes divers diverse diverses varie variee varies variees multiple
multiples nombreux nombreuse nombreuses principal principale principaux principales essentiel essentielle
essentiels essentielles
""".split()) | FOREIGN_STOPWORDS  # English and Arabic function words: bot/language.py


def content_tokens(normalized: str) -> list[str]:
    """Return the tokens of a normalised text that can carry a topic (no stopwords, no 1-letter words)."""
    return [t for t in normalized.split() if t not in STOPWORDS and len(t) > 1]


def of(name: str) -> str:
    """Put "de" before a name the French way: "du SSI", "des SSI", "de la DCI", "de l'ASI", "d'Interpol"."""
    for article, contracted in (("le ", "du "), ("les ", "des ")):
        if name.startswith(article):
            return contracted + name[len(article):]
    if strip_accents(name[:1].casefold()) in tuple("aeiouy"):
        return "d'" + name
    return "de " + name


# Typography: espaces insécables before double punctuation and inside guillemets.
_NBSP = "\u00a0"
_BEFORE_PUNCT_RE = re.compile(r"(?:[ \u202f]+|(?<=[^\s\d?!:;.\u00a0]))([?!;»])|[ \u202f]+(:)")
_AFTER_GUILLEMET_RE = re.compile(r"«[ \u202f]*")


def french_typography(text: str) -> str:
    """Put non-breaking spaces before ? ! : ; » and after «, as French typography wants."""
    text = _BEFORE_PUNCT_RE.sub(lambda m: _NBSP + (m.group(1) or m.group(2)), text)
    return _AFTER_GUILLEMET_RE.sub("«" + _NBSP, text)
