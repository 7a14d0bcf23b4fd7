"""Per-conversation context and the resolution of follow-ups ("et son mail ?") against it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge import Intent, KnowledgeBase
from bot.text import content_tokens, normalize

# Words that only glue a follow-up together ("et pour l'ASI ?").
_FOLLOW_UP_GLUE = frozenset({"et", "pour", "sur", "concernant", "alors", "ou", "encore"})
# Pronouns that point back to the previous subject ("qui la dirige ?", "et son mail ?", "who heads it?").
_ANAPHORA = frozenset({"il", "elle", "ils", "elles", "son", "sa", "ses", "leur", "leurs", "lui", "y", "celui", "celle",
                       "it", "its", "he", "his", "him", "she", "her", "they", "their", "them"})


# "le premier", "le 3e", "le dernier", "the second one", « الأخير »: a position in the list the last
# answer gave (normalised forms: Arabic folded, « الثالثة » is « ثالث »).
_ORDINALS = {
    "premier": 1, "premiere": 1, "1er": 1, "1ere": 1, "1re": 1, "second": 2, "seconde": 2, "2nd": 2, "2nde": 2,
    **{word: n for n, word in enumerate(("deuxieme", "troisieme", "quatrieme", "cinquieme", "sixieme", "septieme",
                                         "huitieme", "neuvieme", "dixieme"), 2)},
    **{f"{n}{suffix}": n for n in range(2, 21) for suffix in ("e", "eme")},
    "dernier": -1, "derniere": -1,
    **{word: n for n, word in enumerate(("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                                         "ninth", "tenth"), 1)},
    "1st": 1, "3rd": 3, **{f"{n}th": n for n in range(4, 21)}, "last": -1, "penultimate": -2,
    **{word: n for n, word in enumerate(("اول", "ثاني", "ثالث", "رابع", "خامس", "سادس", "سابع", "ثامن", "تاسع",
                                         "عاشر"), 1)},
    "اولي": 1, "اخير": -1,
}
_BEFORE_LAST = frozenset({"avant", "before", "قبل"})  # "l'avant-dernier", « ما قبل الأخير »
# Words that may come with the position without asking anything else ("le 2e de la liste").
_LIST_WORDS = frozenset({"liste", "element", "elements", "point", "points", "ligne", "lignes", "entree", "cite",
                         "cites", "citee", "mentionne", "mentionnee", "enumere", "programme", "programmes",
                         "membre", "membres", "poste", "postes", "avant", "ci", "dessus", "celui", "celle",
                         "one", "ones", "list", "item", "items", "entry", "mentioned", "above", "program", "programs",
                         "member", "members", "before",
                         "قايم", "عنصر", "مذكور", "برنامج", "برامج", "احد", "قبل"})


@dataclass
class Conversation:
    """What one user talked about last; plain data so front ends can persist it."""

    subject: str = ""
    facet: str = ""
    intent: str = ""
    list_intent: str = ""  # the last answer giving a list ("le premier" refers to it)
    updated: float = 0.0
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    language: str = ""  # the language of the last reply ("fr", "en", "ar"): a message that does not tell keeps it
    language_choice: str = ""  # the language the user chose (/langue, --lang); "" = each message's own
    translation_noted: bool = False  # the "unofficial translation" notice was given

    def topic(self, now: float, ttl: float) -> tuple[str, str] | None:
        """Return (subject, facet) of the last answer if it is recent enough."""
        if self.subject and self._fresh(now, ttl):
            return self.subject, self.facet
        return None

    def recent_intent(self, now: float, ttl: float) -> str:
        """Return the intent of the last answer ("" if none, or too old)."""
        return self.intent if self._fresh(now, ttl) else ""

    def recent_list(self, now: float, ttl: float) -> str:
        """Return the intent whose answer gave the list being talked about ("" if none, or too old)."""
        return self.list_intent if self._fresh(now, ttl) else ""

    def _fresh(self, now: float, ttl: float) -> bool:
        return now - self.updated <= ttl

    def remember(self, intent: Intent, now: float) -> None:
        """Record an answered intent; small talk keeps the current subject."""
        if intent.subject:
            self.subject, self.facet = intent.subject, intent.facet
        self.intent = intent.id
        self.updated = now
        self.suggestions = ()


def mentioned_subjects(kb: KnowledgeBase, normalized: str) -> list[str]:
    """Return the subjects a normalised question names, in order of appearance.

    A subject named only by its people (« policiers », « gendarmes ») is not named when the question
    names a described subject by its aliases: « les policiers français du SSI de Nouakchott » are the
    SSI's people, not « la police nationale » the page does not describe. Alone (« combien de
    policiers en France ? »), they name their subject. So does a place (« Nouakchott »), unless the
    question names a subject the page does not describe: it then says where that one is.
    """
    aliases, subjects = kb.subject_aliases, kb.subjects
    found = [(phrase, aliases[phrase]) for _, _, phrase in kb.subject_finder.find(normalized)]
    people = {phrase for phrase, sid in found if phrase in subjects[sid].members}
    if any(subjects[sid].described for phrase, sid in found if phrase not in people):
        found = [(phrase, sid) for phrase, sid in found if phrase not in people]
    # Named by its place only (« Mauritanie », « Nouakchott »), beside a subject the page does not describe,
    # a subject says where that one is: « le directeur de la sûreté nationale en Mauritanie ».
    by_place = ({sid for phrase, sid in found if phrase in subjects[sid].places}
                - {sid for phrase, sid in found if phrase not in subjects[sid].places})
    if by_place and any(not subjects[sid].described for _, sid in found):
        found = [(phrase, sid) for phrase, sid in found if sid not in by_place]
    return list(dict.fromkeys(sid for _, sid in found))


def focused_subjects(kb: KnowledgeBase, normalized: str) -> list[str]:
    """Return the named subjects, without those only named as the container of another.

    "le CSI du SSI de Nouakchott" is about the CSI, not about the SSI of Nouakchott.
    """
    named = mentioned_subjects(kb, normalized)
    containers = {a for s in named for a in kb.ancestors(s)}
    return [s for s in named if s not in containers]


# « و » (and) glued to a two-letter question word: « ومن يرأسها؟ » asks « من يرأس » (who heads), a trigger.
_AND_QUESTION_WORD_RE = re.compile(r"(?<!\S)و(?=(?:من|ما|كم|هل|اي)(?!\S))")


def asked_facet(kb: KnowledgeBase, normalized: str) -> str:
    """Return the facet a question asks about ("" if none), by its trigger phrases."""
    triggers = kb.facet_triggers
    spans = kb.facet_finder.find(_AND_QUESTION_WORD_RE.sub("و ", normalized))
    if not spans:
        return ""
    # The longest trigger is the most specific one ("adresse mail" beats "adresse").
    start, end, phrase = max(spans, key=lambda span: (span[1] - span[0], -span[0]))
    return triggers[phrase]


def is_follow_up(kb: KnowledgeBase, normalized: str) -> bool:
    """Tell whether a question that names no subject leans on the previous one.

    It does when it asks for a known facet ("et le fax ?"), refers back with a pronoun
    ("qui la dirige ?"), or is too short to stand alone.
    """
    toks = set(normalized.split())
    return bool(asked_facet(kb, normalized)) or bool(toks & _ANAPHORA) or len(content_tokens(normalized)) <= 2


_OBJECT_PRONOUN_RE = re.compile(r"\b(?:qui|que|quoi|comment|ou|quand|pourquoi|combien|on)\s+"
                                r"(?:le|la|les|lui|leur|en)\s+\w")


def points_back(normalized: str) -> bool:
    """Tell whether a question points back at what was just said with an object pronoun.

    "qui la met en œuvre ?", "qui le finance ?", "qui en fait partie ?": "la", "le", "en" stand for the thing
    the last answer described.
    """
    return bool(_OBJECT_PRONOUN_RE.search(normalized))


NONE_OF_THEM = "none of them"
MAX_CHOICE_DIGITS = 9  # no list is longer: a longer number picks nothing
_NONE_OF_THEM = frozenset({
    "aucun", "aucune", "aucun des deux", "aucune des deux", "aucune de ces reponses", "aucune de celles ci",
    "aucun de ceux ci", "aucun de ces choix", "ni le un ni le autre", "rien de tout ca", "rien de tout cela",
    "non aucun", "non aucune", "none", "none of them", "none of these",
})


def parse_choice(text: str) -> int | str | None:
    """Return the number picked in a list ("2"), NONE_OF_THEM ("aucune de ces réponses"), or None.

    Only ASCII digits make a number: « ² » or « ① » are text. A number longer than MAX_CHOICE_DIGITS
    is read as 10 ** MAX_CHOICE_DIGITS, out of every list's range (Python refuses to convert one of
    over 4,300 digits).
    """
    stripped = text.strip().rstrip(".)")
    if stripped.isascii() and stripped.isdigit():
        significant = stripped.lstrip("0") or "0"
        return int(significant) if len(significant) <= MAX_CHOICE_DIGITS else 10 ** MAX_CHOICE_DIGITS
    return NONE_OF_THEM if normalize(text) in _NONE_OF_THEM else None


def is_anaphoric(normalized: str) -> bool:
    """Tell whether a question refers back with a pronoun ("et lui ?", "qui la dirige ?", "qui en fait partie ?")."""
    return bool(set(normalized.split()) & _ANAPHORA) or points_back(normalized)


def list_position(normalized: str) -> tuple[int, str] | None:
    """Return the list position a question points at and what else it says, or None without one position.

    "le premier de la liste" -> (1, "le"), "le dernier" -> (-1, "le"), "the first one, what's that role?"
    -> (1, "the what is that role"): the rest asks something about the entry, or names something else
    ("créée le 1er septembre ?"), which the caller judges.
    """
    toks = normalized.split()
    found = [i for i, t in enumerate(toks) if t in _ORDINALS]
    if len(found) != 1:
        return None
    position = _ORDINALS[toks[found[0]]]
    if position == -1 and found[0] > 0 and toks[found[0] - 1] in _BEFORE_LAST:
        position = -2  # "l'avant-dernier"
    return position, " ".join(t for i, t in enumerate(toks) if i != found[0] and t not in _LIST_WORDS)


def is_bare_mention(kb: KnowledgeBase, normalized: str, subject: str) -> bool:
    """Tell whether the question only names `subject` ("et l'ASI ?")."""
    alias_words = {w for alias in kb.subjects[subject].aliases for w in alias.split()}
    return not [t for t in content_tokens(normalized) if t not in alias_words and t not in _FOLLOW_UP_GLUE]
