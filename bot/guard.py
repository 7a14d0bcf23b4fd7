"""The key-term guard: refuse an intent that does not cover what the question is about.

TF-IDF happily matches "Quand a été créée la gendarmerie nationale ?" with the DCI's creation
date, because most words are shared. The guard looks at what the nearest intent does not
explain: key terms of the question found nowhere in the intent's examples or answer (for
"le budget de la DCI": "budget"), and subjects the question names that the intent is not about
(for the gendarmerie question: the gendarmerie). Either makes the engine fall back. So do: the
word asked about after "quel" or "combien de" ("quel âge a…") or the last complement ("le fax de la
douane") left uncovered, a precise datum the intent does not give (an exclusive facet: a name, a
number, a date, another time than the page's), and "who/what is X?" or a facet of X ("qui dirige
X ?") about a subject X the page does not describe.
A misspelt word counts as covered: the same first letter and at most `typo_edits` edits.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.dialogue import asked_facet, focused_subjects
from bot.knowledge import KnowledgeBase
from bot.language import detect
from bot.spelling import is_word
from bot.text import STOPWORDS, PhraseFinder, content_tokens

STEM_LETTERS = 5  # French words sharing their first letters are usually the same family (cree/creation)
# « Qui est X ? », « What is X? », « ما هو X؟ », « Parlez-moi de X »: asks to describe X. Written as users
# type them; normalised with the data's normaliser when the guard is built.
_IDENTITY_FRAMES = (
    "qui est", "qui sont", "qui etait", "c'est qui", "c'est quoi", "qu'est-ce que", "qu'est-ce", "quoi",
    "qui est actuellement", "définition de", "présentez-moi", "parlez-moi de", "que désigne", "que signifie",
    "que veut dire", "what is", "what are", "who is", "who are", "what does", "definition of", "meaning of",
    "tell me about", "ما هو", "ما هي", "من هو", "من هي", "ماذا يعني", "ما معنى", "تعريف", "حدثني عن", "أخبرني عن")
# "[le] X, c'est quoi ?", "X c'est qui ?", "X, what is it?": the same question with the subject first.
_IDENTITY_FRAMES_AFTER = ("c'est quoi", "c'est qui", "cest quoi", "quoi", "qui est-ce", "what is it", "who is it",
                         "what is that", "ما هو", "ما هي")
_ARTICLES = frozenset({"le", "la", "les", "un", "une", "des", "du", "the", "a", "an"})
_ELIDED = ("l", "d")  # "ladresse", "dAfrique": an article glued to its noun
MIN_EXAMPLES_NAMING = 2  # examples naming a subject alone that make an intent answer about it
MAX_KEY_TERMS = 60  # a question longer than this is judged on its first key terms
_ASKED_RE = re.compile(r"\b(?:quel|combien de|combien)\s+(\w+)")  # the word after them is what is asked
# « le fax de la DGSE », « the founding date of the national gendarmerie », « a document to the FBI »: the
# last complement names whose datum is asked. Not after a word of kind (« ce genre de procédure », « this
# kind of case »), nor in a compound the data itself writes (« forces de sécurité », « numéro de téléphone »).
_COMPLEMENT_WORDS = frozenset({"de", "du", "des", "of", "to", "for"})
_ARTICLES_AFTER = frozenset({"la", "le", "les", "the"})
# « sert-il à former des policiers », « pour recruter des agents »: after « à », « pour », « sans », « de », a word
# ending like an infinitive is a verb, and the « des » after it an article, not a complement's « de ».
_BEFORE_INFINITIVE = frozenset({"a", "pour", "sans", "de"})
_INFINITIVE_ENDINGS = ("er", "ir", "re")
_KIND_WORDS = frozenset({"genre", "type", "types", "sorte", "kind", "sort"})


def _complements(normalized: str) -> list[tuple[str, str]]:
    """Return the (head, complement) word pairs of « head de [la] complement » in a normalised text."""
    toks = normalized.split()
    found = []
    for i, tok in enumerate(toks[1:-1], 1):
        infinitive = i >= 2 and toks[i - 2] in _BEFORE_INFINITIVE and toks[i - 1].endswith(_INFINITIVE_ENDINGS)
        if tok in _COMPLEMENT_WORDS and not infinitive:
            j = i + 2 if toks[i + 1] in _ARTICLES_AFTER and i + 2 < len(toks) else i + 1
            found.append((toks[i - 1], toks[j]))
    return found


@dataclass(frozen=True)
class GuardVerdict:
    """What an intent leaves uncovered of a question, and whether it may answer it."""

    uncovered: tuple[str, ...]
    share: float  # weighted share of the question's key terms the intent does not cover
    foreign_subjects: tuple[str, ...]
    passed: bool
    conflict: bool = False  # a subject, an identity question or a precise datum the intent cannot be about
    asked_uncovered: bool = False  # the word asked after « quel », « combien de » is not covered
    owner_uncovered: bool = False  # nor is the last complement's (« de la douane », « of the FBI »)


class KeyTermGuard:
    """Check that an intent covers the key terms and subjects of a question."""

    def __init__(self, kb: KnowledgeBase, examples: list[str], owners: list[str], max_uncovered: float) -> None:
        self.kb = kb
        self.max_uncovered = max_uncovered
        terms: dict[str, set[str]] = {i: set() for i in kb.intents}
        framing: dict[str, list[str]] = {i: [] for i in kb.intents}
        for text, owner in zip(examples, owners, strict=True):
            terms[owner].update(content_tokens(text))
            framing[owner].append(text)
        aliases, alias_phrases = kb.subject_aliases, kb.subject_finder

        self._words: dict[str, _Words] = {}  # the words of the examples, title and answer
        self._answer_words: dict[str, _Words] = {}  # the words of the answer text alone
        self._subjects: dict[str, frozenset[str]] = {}
        # The intent's subject, what contains it, what it contains, and what two of its examples name alone.
        self._family: dict[str, frozenset[str]] = {}
        # Trigger words of the exclusive facets ("nom", "quand") that an intent's own examples use.
        self._facet_words: dict[str, frozenset[str]] = {}
        self._exclusive_triggers = {t: f for f in kb.exclusive_facets for t in kb.facets[f]}
        self._identity_frames = [kb.normalize(f).split() for f in _IDENTITY_FRAMES]
        self._identity_frames_after = [kb.normalize(f).split() for f in _IDENTITY_FRAMES_AFTER]
        trigger_phrases = self._trigger_phrases = PhraseFinder(self._exclusive_triggers)
        written = list(examples)  # the data's own wording: the compounds it writes (« forces de sécurité »)
        for intent_id, intent in kb.intents.items():
            answer = kb.answers[intent.answer]
            title = kb.normalize(answer.title)
            # The answer covers its words in every language it is written in: an English question is
            # judged against the curated English text as a French one against the French text.
            titles = [title, *(kb.normalize(t) for t in answer.titles.values())]
            bodies = [kb.normalize(text) for text in (answer.text, *answer.texts.values())]
            written += titles + bodies
            body = [t for text in bodies for t in content_tokens(text)]
            words = terms[intent_id] | {t for text in titles for t in content_tokens(text)} | set(body)
            # An answer about a facet answers the words that ask for it, in every language (« ما المقصود
            # ب… », « what does it stand for », « à quoi sert »): intents/vocabulary.toml's triggers.
            words |= {t for trigger in kb.facets.get(intent.facet, ()) for t in content_tokens(trigger)}
            self._words[intent_id] = _Words.of(words)
            self._answer_words[intent_id] = _Words.of(body)
            # Subjects named in the examples or title: what the intent is about (not the answer body).
            named_by = [{aliases[p] for _, _, p in alias_phrases.find(text)} for text in framing[intent_id] + [title]]
            own = {intent.subject, *kb.ancestors(intent.subject)} if intent.subject else set()
            self._subjects[intent_id] = frozenset(set().union(*named_by) | own)
            # Examples naming one subject alone (« fax de l'ASI », « c koi le numéro de fax de l asi ») ask the
            # intent about that subject; one may only name a subject to describe the intent's own (« le service
            # de la DCI à l'étranger », for the SSI): it takes two.
            named_alone = Counter(s for subjects in named_by if len(subjects) == 1 for s in subjects)
            alone = {s for s, n in named_alone.items() if n >= MIN_EXAMPLES_NAMING}
            self._family[intent_id] = frozenset(own | alone
                                                | {s for s in kb.subjects if intent.subject in kb.ancestors(s)})
            self._facet_words[intent_id] = frozenset(
                p for text in framing[intent_id] + [title] for _, _, p in trigger_phrases.find(text))
        self._known = _Words.of([t for words in self._words.values() for t in words.exact])
        self._compounds = frozenset(pair for text in written for pair in _complements(text))
        # Rarity across intents: "ssi" says little about which intent is meant, "rogatoires" a lot.
        df = Counter(t for words in self._words.values() for t in words.exact)
        n = len(self._words)
        self._idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        self._max_idf = math.log(1 + n) + 1.0
        # Memos: the engine checks ~10 candidates per question with the same terms and subjects.
        self._focus_memo: dict[str, list[str]] = {}
        self._weight_memo: dict[str, float] = {}
        self._fuzzy_memo: dict[str, frozenset[str]] = {}
        self._exclusive_memo: dict[str, list[str]] = {}
        self._identity_memo: dict[str, str | None] = {}
        self._question_memo: dict[str, _Question] = {}
        self._stopword_memo: dict[str, bool] = {}
        self._corrected_memo: dict[str, str] = {}

    @property
    def known_words(self) -> frozenset[str]:
        """Return the data's words: those of the intents' examples, titles and answers, in every language."""
        return self._known.exact

    def clear_caches(self) -> None:
        """Forget the memoised per-question results (to measure how a new question is answered)."""
        for memo in (self._focus_memo, self._weight_memo, self._fuzzy_memo, self._exclusive_memo, self._identity_memo,
                     self._question_memo, self._stopword_memo, self._corrected_memo):
            memo.clear()

    def coverage(self, normalized: str, intent_id: str) -> float:
        """Return the share of the question's key terms (weighted by rarity) the intent covers."""
        question = self._question(normalized)
        if not question.key_terms:
            return 1.0  # nothing to cover ("bonjour")
        flags = self._covered_flags(question, intent_id)
        covered = sum(w for w, ok in zip(question.rarity, flags, strict=True) if ok)
        return covered / sum(question.rarity)

    def _question(self, normalized: str) -> _Question:
        """Return what the guard needs about a question, computed once for all its candidates."""
        question = self._question_memo.get(normalized)
        if question is None:
            key_terms = tuple(t for t in content_tokens(normalized) if not self._misspelt_stopword(t))[:MAX_KEY_TERMS]
            match = _ASKED_RE.search(normalized)
            asked = match.group(1) if match and match.group(1) in key_terms else None
            head, owner = (_complements(normalized) or [("", "")])[-1]
            if owner not in key_terms or head in _KIND_WORDS or (head, owner) in self._compounds:
                owner = ""
            question = _Question(key_terms, tuple(self._idf.get(t, self._max_idf) for t in key_terms), asked,
                                 owner or None)
            _remember(self._question_memo, normalized, question)
        return question

    def corrected(self, normalized: str) -> str:
        """Return the question with each misspelt word replaced by the data's word it misspells.

        A word is corrected when the data does not use it, no dictionary knows it (bot/spelling.py:
        « pleuvoir » stays) and exactly one of the data's words is closest to it (`misspellings`).
        Framing words compete too: « presenterr » is « présenter » (no key term), not the data's
        « presente »; a framing word and a data word as close leave the word as it is.
        """
        found = self._corrected_memo.get(normalized)
        if found is None:
            found = " ".join(self._correct(t) for t in normalized.split())
            _remember(self._corrected_memo, normalized, found)
        return found

    def _correct(self, token: str) -> str:
        if len(token) < MIN_CORRECTED_LETTERS or token in self._known.exact or token in STOPWORDS or is_word(token):
            return token
        by_distance = sorted((OSA.distance(token, w), w) for w in self._known.misspellings(token))
        framing = sorted((OSA.distance(token, w), w) for w in _FRAMING_WORDS.misspellings(token))
        if framing and (not by_distance or framing[0][0] < by_distance[0][0]):
            # « presenterr »: the framing word « presenter », no key term; « wher » is « where » or « when »,
            # which differ in what they ask: left as it is (a misspelt framing word is no key term either).
            return _only_word(framing) or token
        if framing and framing[0][0] == by_distance[0][0]:
            return token  # as close to a framing word as to a data word: nothing to choose
        # « partenairse »: « partenaire » or « partenaires », the same word. None close, or two different
        # words as close: nothing to choose.
        return _only_word(by_distance) or token

    def _misspelt_stopword(self, term: str) -> bool:
        """Tell whether an unknown word is a typo of a framing word (« pouvez-vou », « connaîtree »): no key term.

        One edit (a transposition counts as one; two would turn « règlement » into « réellement »),
        with the same first letter or the first two letters swapped (« qu'set-ce », « s'li »). Only
        framing words are corrected this way: a word close to a domain word stays a key term, which
        `_covered` may still match as a misspelling.
        """
        if term in self._known.exact or len(term) < 2 or not term.isalpha():
            return False
        found = self._stopword_memo.get(term)
        if found is None:
            limit = 1
            # The same first letter, or the first two swapped: not a first letter added (« town » is
            # not « own », nor « hall » « all »).
            swapped = [w for w in _FRAMING_WORDS.by_initial.get(term[1], ()) if len(w) > 1 and w[1] == term[0]]
            words = {*_FRAMING_WORDS.by_initial.get(term[0], ()), *swapped}
            found = any(OSA.distance(term, w, score_cutoff=limit) <= limit
                        for w in words if abs(len(w) - len(term)) <= limit)
            _remember(self._stopword_memo, term, found)
        return found

    def _covered_flags(self, question: _Question, intent_id: str) -> tuple[bool, ...]:
        """Return, for each key term of the question, whether the intent covers it (memoised per intent)."""
        flags = question.covered.get(intent_id)
        if flags is None:
            flags = question.covered[intent_id] = tuple(self._covered(t, intent_id) for t in question.key_terms)
        return flags

    def weight(self, term: str) -> float:
        """Return how much an uncovered term counts: words the whole knowledge base ignores count double."""
        if term in self._known.exact:
            return 1.0
        if len(term) < 4:
            return 2.0
        weight = self._weight_memo.get(term)
        if weight is None:
            weight = 1.0 if self._misspelt(term) else 2.0
            _remember(self._weight_memo, term, weight)
        return weight

    def _covered(self, term: str, intent_id: str, answer_only: bool = False) -> bool:
        """Tell whether the intent's words (or its answer's alone) contain the term, a relative or a misspelling."""
        words = (self._answer_words if answer_only else self._words)[intent_id]
        if term in words.exact or (len(term) >= STEM_LETTERS and term[:STEM_LETTERS] in words.stems):
            return True
        if len(term) < 4:
            return False
        return not words.exact.isdisjoint(self._misspelt(term))

    def _misspelt(self, term: str) -> frozenset[str]:
        """Return the knowledge base's words that `term` may be a misspelling of (one search per term).

        A word of the dictionaries (bot/spelling.py) is no misspelling of another word: « armée » is not
        « armes » with a letter changed. Only the data's inflections of it count (« arme », « armes »).
        """
        found = self._fuzzy_memo.get(term)
        if found is None:
            found = self._known.misspellings(term)
            if term.isascii() and term not in self._known.exact and is_word(term):
                found = frozenset(w for w in found if _inflected(w, term))
            _remember(self._fuzzy_memo, term, found)
        return found

    def answer_says(self, normalized: str, intent_id: str) -> bool:
        """Tell whether the intent's answer text contains every key term of the question (and it has some).

        After « elle est mise en œuvre par le SSI », "qui la met en œuvre ?" is answered by what was just said.
        """
        key_terms = self._question(normalized).key_terms
        return bool(key_terms) and all(self._covered(t, intent_id, answer_only=True) for t in key_terms)

    def _focused(self, normalized: str) -> list[str]:
        """Return focused_subjects(kb, normalized), computed once per question."""
        named = self._focus_memo.get(normalized)
        if named is None:
            named = focused_subjects(self.kb, normalized)
            _remember(self._focus_memo, normalized, named)
        return named

    def check(self, normalized: str, intent_id: str) -> GuardVerdict:
        """Judge whether `intent_id` may answer the normalised question."""
        named = self._focused(normalized)
        foreign = tuple(s for s in named if s not in self._subjects[intent_id])
        described = [s for s in named if self.kb.subjects[s].described]
        # A question about one described subject ("qui dirige la DCI ?") is answered about that
        # subject's family only, not by an intent that merely mentions it ("les SSI, services de la DCI"),
        # or by one whose examples ask it about that subject alone (« fax de l'ASI »: the SSI's fax).
        family = self._family[intent_id]
        off_subject = len(described) == 1 and bool(family) and described[0] not in family
        # A question naming several subjects is fine if the intent is about one of them.
        conflict = bool(named) and len(foreign) == len(named)
        intent = self.kb.intents[intent_id]
        # Something the page does not describe ("le consulat") must be part of what the intent is about.
        conflict = conflict or any(not self.kb.subjects[s].described for s in foreign)
        # "Qui est le ministre de l'Intérieur ?", "c'est quoi Interpol ?": asks to describe what the page does not.
        conflict = conflict or self._identity_question(normalized) is not None
        # "Qui dirige la sûreté nationale ?", "quelle est l'adresse de l'ambassade ?": a facet of the one
        # subject named, which the page does not describe. No intent gives it, even one that names it.
        conflict = conflict or len(named) == 1 and not described and bool(asked_facet(self.kb, normalized))
        # A question asking for a precise datum (a name, a date, a number) needs an intent giving it.
        wrong_facet = tuple(f for f in self._asked_exclusive(normalized) if f != intent.facet
                            and not self._facet_words[intent_id] & set(self.kb.facets[f]))
        conflict = conflict or bool(wrong_facet) or off_subject
        question = self._question(normalized)
        flags = self._covered_flags(question, intent_id)
        uncovered = tuple(t for t, ok in zip(question.key_terms, flags, strict=True) if not ok)
        if question.weights is None:
            question.weights = tuple(self.weight(t) for t in question.key_terms)
        total = sum(question.weights)
        share = sum(w for w, ok in zip(question.weights, flags, strict=True) if not ok) / total if total else 0.0
        # "quel âge…", "combien de salariés…": the word asked about must be one the intent covers.
        asked = question.asked is not None and question.asked in uncovered
        # So must the last complement, whose datum is asked ("l'effectif du réseau de la douane"), unless
        # uncovered words never veto in this data (see `vetoed`).
        owner = question.owner is not None and question.owner in uncovered
        passed = not conflict and not asked and share <= self.max_uncovered and not (owner and self.max_uncovered < 1)
        return GuardVerdict(uncovered, round(share, 3), foreign + wrong_facet, passed, conflict, asked, owner)

    def _identity_question(self, normalized: str) -> str | None:
        """Return the undescribed subject a "who/what is X?" question asks about, if any (memoised)."""
        if normalized not in self._identity_memo:
            toks = normalized.split()
            found = None
            for start, end, phrase in self.kb.subject_finder.find(normalized):
                subject = self.kb.subject_aliases[phrase]
                before = toks[max(0, start - 5):start]
                if before[-1:] and before[-1] in _ARTICLES:
                    before = before[:-1]
                elif before[-1:] == ["s"]:  # « who is Mauritania's minister of the interior? »: a possessor
                    before = before[:-2]
                after = toks[end:end + 3]
                if not self.kb.subjects[subject].described and (
                        any(before[-len(frame):] == frame for frame in self._identity_frames)
                        or any(after[:len(frame)] == frame for frame in self._identity_frames_after)):
                    found = subject
                    break
            _remember(self._identity_memo, normalized, found)
        return self._identity_memo[normalized]

    def _asked_exclusive(self, normalized: str) -> list[str]:
        """Return the exclusive facets a question's triggers ask, those of its language's triggers only.

        « sert-il à former nos agents ? » asks no other time: « former » triggers it in English (previous).
        A question whose language is not told (« fax ssi ») is read with every language's triggers.
        """
        asked = self._exclusive_memo.get(normalized)  # computed once per question, not per candidate
        if asked is None:
            triggers, languages = self._exclusive_triggers, self.kb.trigger_languages
            toks = normalized.split()
            found = [p for start, end, p in self._trigger_phrases.find(normalized)
                     if not _joins_a_clause(toks, start, end, p)]
            language = detect(normalized, self.kb) if found else None
            asked = sorted({triggers[p] for p in found if language is None or language in languages.get(p, {language})})
            _remember(self._exclusive_memo, normalized, asked)
        return asked


@dataclass(frozen=True)
class _Words:
    """A set of words with their stems, for coverage tests."""

    exact: frozenset[str]
    stems: frozenset[str]
    by_initial: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, words: Iterable[str]) -> _Words:
        exact = frozenset(words)
        by_initial: dict[str, list[str]] = {}
        for word in sorted(exact):
            by_initial.setdefault(word[0], []).append(word)
        return cls(exact, frozenset(w[:STEM_LETTERS] for w in exact if len(w) >= STEM_LETTERS),
                   {k: tuple(v) for k, v in by_initial.items()})

    def misspellings(self, term: str) -> frozenset[str]:
        """Return the words `term` may be a misspelling of: at most `typo_edits` edits, same first letter.

        Typos rarely touch the first letter, and requiring it keeps real words apart ("gagnent"/"agent").
        The one common exception, an elided article typed without its apostrophe ("ladresse"), is tried too.
        """
        found: set[str] = set()
        for word in (term, term[1:]) if term[:1] in _ELIDED and len(term) > 4 else (term,):
            if word in self.exact:
                found.add(word)
            limit = typo_edits(word)
            found.update(w for w, _, _ in process.extract(word, self.by_initial.get(word[:1], ()), scorer=OSA.distance,
                                                           score_cutoff=limit, limit=None))
        return frozenset(found)


@dataclass
class _Question:
    """A question's key terms with their rarity and weights, and which of them each intent covers."""

    key_terms: tuple[str, ...]
    rarity: tuple[float, ...]
    asked: str | None  # the word right after "quel" or "combien de", if a key term
    owner: str | None  # the last complement's word (« de la douane », « of the FBI »), if a key term
    weights: tuple[float, ...] | None = None
    covered: dict[str, tuple[bool, ...]] = field(default_factory=dict)


_MEMO_SIZE = 20_000
MIN_CORRECTED_LETTERS = 4  # shorter words (« koi », « dir ») are too close to too many others to correct


# « que fait l'ASI quand il est en poste ? », « what does he do when they call him? »: « quand » / « when » before a
# subject pronoun, inside the question, joins a clause: it asks no date. First (« quand il a été créé ? ») or after
# « et », « depuis », it asks one.
_CONJUNCTIONS = frozenset({"quand", "lorsque", "when"})
_SUBJECT_PRONOUNS = frozenset({"il", "elle", "on", "ils", "elles", "je", "tu", "nous", "vous",
                               "he", "she", "it", "they", "we", "i", "you"})
_ASKING_BEFORE = frozenset({"et", "mais", "depuis", "and", "but", "since"})


def _joins_a_clause(toks: list[str], start: int, end: int, phrase: str) -> bool:
    """Tell whether the trigger `phrase` at toks[start:end] is a conjunction joining a clause, not a question word."""
    return (phrase in _CONJUNCTIONS and start > 0 and toks[start - 1] not in _ASKING_BEFORE
            and end < len(toks) and toks[end] in _SUBJECT_PRONOUNS)


def _only_word(by_distance: list[tuple[int, str]]) -> str | None:
    """Return the closest word of (distance, word) pairs sorted by distance, if the closest ones are one word's
    forms (the same first letters), else None."""
    closest = [w for d, w in by_distance if d == by_distance[0][0]] if by_distance else []
    return closest[0] if closest and len({w[:STEM_LETTERS] for w in closest}) == 1 else None


_INFLECTIONS = frozenset({"s", "x", "e", "es"})  # plural and feminine endings


def _inflected(a: str, b: str) -> bool:
    """Tell whether one word is the other with an inflection ending added (« arme », « armes »)."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short):] in _INFLECTIONS


def typo_edits(word: str) -> int:
    """Return how many edits (a transposition counts as one) a typo of `word` may have: 1, or 2 beyond 7 letters."""
    return 1 if len(word) <= 7 else 2



def _remember(memo: dict, key: object, value: object) -> None:
    """Store `value` in a bounded memo (emptied when full: the guard's data never changes)."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value


_FRAMING_WORDS = _Words.of(w for w in STOPWORDS if len(w) >= 2)  # what `_misspelt_stopword` corrects towards
