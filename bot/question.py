"""Find what a long message asks: the clause with the question, not the sentences around it.

« Je suis historien et je travaille sur la coopération policière. Sur quel acte repose le SSI ? »
asks the second sentence; the first tells who asks. Matching and the key-term guard judge the
asking clause, so that a persona or a politeness formula does not drown the question; the
subjects the context names are kept when the clause names none (« …la DCI. Elle a été créée
quand ? »): `read_question` gives the engine both.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from bot.dialogue import focused_subjects, is_anaphoric
from bot.knowledge import KnowledgeBase
from bot.language import refers_back_in_arabic
from bot.spelling import is_word
from bot.text import STOPWORDS, content_tokens

# A sentence ends at ! ? ; (Arabic ؟ ؛) or a line break, or at a period after a word of two letters or more
# (not in « D.C.I. » or « M. Coudert »).
_SENTENCE_END_RE = re.compile(r"(?<=[!?;؟؛])\s+|(?<=[^\W\d_]{2}\.)\s+|\n+")
# Words that ask: interrogatives and requests (« pouvez-vous », « j'aimerais », « parlez-moi »).
_INTERROGATIVE_RE = re.compile(
    r"\b(?:qu(?:i|e|oi|el(?:le)?s?|and)|o[uù]|comment|combien|pourquoi|est-ce|pouvez|pourriez|"
    r"j'aimerais|je voudrais|je cherche|je souhaite|parlez|expliquez|dites|donnez|indiquez|"
    r"what|who|where|when|how|which|why|can you|could you|tell me|give me|i need|i'd like|i would like)\b"
    r"|[؟]",
    re.IGNORECASE)
# Words that ask when they open a sentence or a clause: requests (« I want the fax… », « أريد معرفة… » I want
# to know, « أبحث عن… » I am looking for, « أخبرني » tell me; not « حدثني », also « he told me ») and the
# Arabic interrogatives, which are other words inside a sentence (« من » who / from, « ما » what / not:
# « واحد من أصحابي قال لي… », one of my friends told me…).
_OPENING_ASK_RE = re.compile(
    r"(?:^|[,:،؛])\W*(?:i want|i'm looking for|i am looking for|(?:ما|ماذا|من|أين|متى|كيف|هل|كم|لماذا|أريد|اريد|"
    r"أود|اود|أبحث|ابحث|أرغب|ارغب|أخبرني|اخبرني|أعطني|اعطني|عرفني|اشرح)(?:\s|$))", re.IGNORECASE)
_MIN_CLAUSE_WORDS = 2  # a lone word ("Merci.") is never the asking clause

# A sentence that says who asks (« Je suis policier », « Mon frère travaille à la douane », « I am a
# journalist »): the institutions it names are the asker's, not what the question is about.
_IDENTITY_RE = re.compile(
    r"^\W*(?:(?:bonjour|bonsoir|salut|hello|hi)\W+)?(?:je suis|j['’]?\s?[ée]tais|je travaille|je bosse|"
    r"je fais partie|nous sommes|nous travaillons|(?:mon|ma|mes|notre|nos)\s+\w+(?:\s+\w+)?\s+"
    r"(?:est|sont|travaille|travaillent|bosse)|i am|i'm|i work|we are|my\s+\w+\s+(?:is|works)|أنا)\b",
    re.IGNORECASE)


# « le FBI », « la DGSE », « l'OTAN »: a word written in capitals names something, often an institution.
_CAPITALS_RE = re.compile(r"\b[A-Z]{3,6}\b")  # two letters are too often a typo (« JJ'aimerais »)
_LOWERCASE_RE = re.compile(r"[a-zà-ÿ]")


def unknown_names(message: str, known_words: Collection[str], names: Collection[str]) -> frozenset[str]:
    """Return the words a message writes in capitals that are names the data does not use (« FBI », « DGSE »).

    Lowercased. They name something the page does not describe: no intent can answer a question
    naming one (bot/ranking.py). Words of the data, framing words (« SVP ») and words of the
    dictionary (« URGENT ») are no such names, nor is one of the data's `names` mistyped (« ASSI »); a
    message written all in capitals (« FAX SSI ») has none: its capitals say nothing.
    """
    if not _LOWERCASE_RE.search(message):
        return frozenset()
    return frozenset(w for w in (m.lower() for m in _CAPITALS_RE.findall(message))
                     if w not in known_words and w not in STOPWORDS and not is_word(w)
                     and not _mistyped(w, names))


def _mistyped(name: str, names: Collection[str]) -> bool:
    """Tell whether a word in capitals is one of the data's names mistyped: a letter doubled, dropped or two
    letters swapped (« ASSI », « SAI » for « ASI »). One letter for another is another name: « DGSE » is
    not « DGSN »."""
    words = [w for w in names if abs(len(w) - len(name)) <= 1]
    if process.extractOne(name, words, scorer=Levenshtein.distance, scorer_kwargs={"weights": (1, 1, 2)},
                          score_cutoff=1) is not None:
        return True
    return any(OSA.distance(name, w) == 1 for w in words if len(w) == len(name) and sorted(w) == sorted(name))


def asks(sentence: str) -> bool:
    """Tell whether a sentence has a word that asks (« qui », « how », « هل »…, « I want », « أريد »)."""
    return bool(_INTERROGATIVE_RE.search(sentence) or _OPENING_ASK_RE.search(sentence))


def sentences(text: str) -> list[str]:
    """Split a message into sentences, keeping their end punctuation."""
    return [s.strip() for s in _SENTENCE_END_RE.split(text) if s.strip(" .!?;\n")]


def asking_clause(text: str, is_filler: Callable[[str], bool]) -> str:
    """Return the part of `text` that asks.

    The asking sentence is the last one ending in « ? », else the last interrogative one, else the
    last one that is not filler (« Je prépare un mémoire. organigramme dci. Merci ! »: people give
    the context first; the sentence with the most of the data's words was often the persona);
    then a leading greeting or filler (« Bonjour, », « une petite question : », for which
    `is_filler` is true) is dropped, unless what follows it is filler too. A message of one plain
    sentence is returned whole.
    """
    parts = sentences(text)
    clause = text
    if len(parts) >= 2:
        usable = [p for p in parts if len(p.split()) >= _MIN_CLAUSE_WORDS] or parts
        asking = ([p for p in usable if p.rstrip().endswith(("?", "؟"))]
                  or [p for p in usable if asks(p)])
        clause = asking[-1] if asking else ([p for p in usable if not is_filler(p)] or usable)[-1]
    while True:
        head, sep, rest = _LEADING_FILLER_RE.match(clause).groups()  # type: ignore[union-attr]
        if (not sep or len(rest.split()) < _MIN_CLAUSE_WORDS or not is_filler(head) or is_filler(rest)
                or asks(head)):
            return clause  # « salut le bot, ça va ? » is small talk as a whole: nothing to leave out
        clause = rest


_LEADING_FILLER_RE = re.compile(r"([^,:،]*)([,:،]?)\s*(.*)", re.DOTALL)


@dataclass(frozen=True)
class SmallTalk:
    """What greetings, thanks and farewells are made of in this data: the small-talk topics' examples.

    `words` are the content words only they use: « petite » (« salut, petite question »),
    « choukran » are politeness here, no question about the page uses them. `openers` are the
    words that begin more of their examples than the other examples use at all (« merci »,
    « bonne », « thanks »; not « qui » nor « comment »), `vocabulary` their content words.
    """

    words: frozenset[str] = frozenset()
    openers: frozenset[str] = frozenset()
    vocabulary: frozenset[str] = frozenset()

    def is_formula(self, words: Collection[str]) -> bool:
        """Tell whether content words make a politeness formula: none (« Hello, »), or small talk's only,
        one of them at least used by small talk alone (« good morning »: « good » is in questions too)."""
        return all(w in self.vocabulary for w in words) and (not words or any(w in self.words for w in words))

    def without_closing(self, normalized: str) -> str:
        """Drop a closing formula glued to the end of a question (« adresse du ssi merci beaucoup »).

        The closing begins with an opener and its content words are all small talk's; what comes
        before must have a content word small talk does not use (« super, merci » is thanks as a
        whole). Nothing is dropped otherwise.
        """
        tokens = normalized.split()
        content = set(content_tokens(normalized))  # content_tokens judges each token alone
        for i in range(1, len(tokens)):
            if (tokens[i] in self.openers and all(t in self.vocabulary for t in tokens[i:] if t in content)
                    and any(t not in self.vocabulary for t in tokens[:i] if t in content)):
                return " ".join(tokens[:i])
        return normalized


def small_talk(kb: KnowledgeBase, examples: Iterable[tuple[str, str]], topics: Collection[str]) -> SmallTalk:
    """Return the SmallTalk of the `topics`' examples; `examples` are (normalised example, intent id) pairs."""
    polite: set[str] = set()
    first: Counter[str] = Counter()
    used: Counter[str] = Counter()  # in how many of the other examples each word is
    for example, intent_id in examples:
        intent = kb.intents.get(intent_id)
        topic = kb.topic_of_answer.get(intent.answer) if intent is not None else None
        tokens = example.split()
        if topic is not None and topic.id in topics:
            polite.update(content_tokens(example))
            first.update(tokens[:1])
        else:
            used.update(set(tokens))
    return SmallTalk(frozenset(t for t in polite if len(t) > 2 and t not in used),
                     frozenset(t for t, n in first.items() if n > used[t]), frozenset(polite))


# « ce genre de procédure », « cette affaire », « this kind of request »: a noun phrase pointing at
# what the sentences before it described (« ce est », « ce que » are not).
_DEMONSTRATIVES = frozenset({"cet", "cette", "ces", "this", "these", "such", "هذا", "هذه", "هولاء"})
_NOT_AFTER_CE = frozenset({"est", "que", "qui", "dont", "etait", "sont", "soit", "serait", "sera", "ne", "se",
                           "lui", "fut", "quoi"})


def points_to_context(normalized: str) -> bool:
    """Tell whether a clause has a demonstrative noun phrase (« ce genre de procédure », « this case »)."""
    toks = normalized.split()
    return any(t in _DEMONSTRATIVES or t == "ce" and i + 1 < len(toks) and toks[i + 1] not in _NOT_AFTER_CE
               for i, t in enumerate(toks))


def _content_words(kb: KnowledgeBase, text: str) -> list[str]:
    return [t for t in content_tokens(kb.normalize(text)) if len(t) > 2]


def read_question(kb: KnowledgeBase, message: str, politeness: SmallTalk = SmallTalk(),
                  known_words: Collection[str] = frozenset()) -> tuple[str, list[str]]:
    """Return the normalised asking clause of a message and the subjects it is about.

    The sentences around the question (a persona, thanks) are left out; a leading « Bonjour, une
    petite question : » is left out too (its content words, if any, are all small-talk words), and
    a closing glued to the end (« … merci d'avance »). When the clause names no subject, those the
    rest of the message names are kept and written after it, but for the subjects the page does not
    describe that only a sentence saying who asks names: « Je suis policier mauritanien. À quelle
    adresse écrire au SSI ? » asks about the SSI, not about the police. A clause that refers back by
    a pronoun keeps them all, and when the rest names no subject, its words: « qui est à sa tête ? »
    after « On m'a parlé des pompiers. » is about the pompiers, which the key-term guard then judges.
    A clause whose pronoun sits beside subjects the page does not describe (« Il sert à quoi auprès
    de l'ambassadeur ? ») gets the described subjects the other sentences name (« …nommé ASI. »).
    A question of a facet alone, or of one word naming nothing, after another question (« Le SSI
    a-t-il un fax ? Quel est le numéro ? », « …with the local police? On which topics? ») finishes
    it: both are read together. A clause with a demonstrative (« ce genre de
    procédure », « this kind of request ») keeps the
    words of the other sentences that are `known_words` (the data's: KeyTermGuard.known_words), but
    for the subjects they name.
    """
    clause = asking_clause(message,
                           is_filler=lambda part: politeness.is_formula(_content_words(kb, part)))
    normalized = politeness.without_closing(kb.normalize(clause))  # normalize() reads at most MAX_TEXT_CHARS
    named = focused_subjects(kb, normalized)
    parts = sentences(message)
    before = parts[parts.index(clause) - 1] if clause in parts[1:] else ""
    refers_back = is_anaphoric(normalized) or refers_back_in_arabic(clause)  # « عنوانها »: the stemmer cut « ها »
    words = content_tokens(normalized)
    if (not named and before.rstrip().endswith(("?", "؟")) and not refers_back
            and (len(words) <= 1 or all(t in kb.facet_words for t in words))):
        # « Le SSI a-t-il un fax ? Quel est le numéro ? »: a question of a facet alone finishes the one
        # just before it, which says what it is about.
        normalized = " ".join([normalized, kb.normalize(before)])
        return normalized, focused_subjects(kb, normalized)
    if clause != message and named and refers_back and not any(kb.subjects[s].described for s in named):
        # « Mon cousin vient d'être nommé ASI. Il sert à quoi auprès de l'ambassadeur ? »: the pronoun stands
        # for what the other sentences describe, not for what the clause names beside it.
        described = list(dict.fromkeys(s for part in parts if part != clause
                                       for s in focused_subjects(kb, kb.normalize(part))
                                       if kb.subjects[s].described and s not in named))
        named = [*described, *named]
        normalized = " ".join([normalized, *(kb.subjects[s].aliases[0] for s in described)])
    elif clause != message and not named:
        context = [part for part in parts if part != clause]
        # A clause with a pronoun and no word but a facet's (« qui est à sa tête ? ») points at what the
        # other sentences name, whoever they are about; other words name what its pronouns stand for
        # (« ces réponses sont-elles exactes ? », « la France renforce sa coopération »).
        anaphoric = refers_back and all(t in kb.facet_words for t in content_tokens(normalized))
        about = [part for part in context if anaphoric or not _IDENTITY_RE.search(part)]
        subjects = {s for part in about for s in focused_subjects(kb, kb.normalize(part))}
        named = [s for s in focused_subjects(kb, kb.normalize(message)) if kb.subjects[s].described or s in subjects]
        carried = [kb.subjects[s].aliases[0] for s in named]
        if anaphoric and not named:  # « On m'a parlé des pompiers. Qui est à sa tête ? »: « sa » is the pompiers'
            carried = [t for part in about for t in content_tokens(kb.normalize(part))]
        normalized = " ".join([normalized, *carried])
    elif clause != message and points_to_context(normalized):
        # « Un juge a lancé une commission rogatoire. Le SSI peut-il intervenir dans ce genre de
        # procédure ? »: the data's words of the other sentences say what the demonstrative points at.
        # The subjects it names are not carried: the clause says what it is about (« le SSI »).
        toks = kb.normalize(" ".join(part for part in parts if part != clause)).split()
        for start, end, _ in kb.subject_finder.find(" ".join(toks)):
            toks[start:end] = [""] * (end - start)
        carried = [t for t in dict.fromkeys(content_tokens(" ".join(toks))) if t in known_words]
        normalized = " ".join([normalized, *carried])
    return normalized, named
