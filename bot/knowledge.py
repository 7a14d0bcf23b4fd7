"""The knowledge base: answers, intents, topics and subjects, and the KnowledgeBase that holds them.

bot/reader.py reads and validates knowledge/ (answers) and intents/ (question examples) into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot.language import DEFAULT_LANGUAGE
from bot.text import Lexicon, PhraseFinder, normalize


@dataclass(frozen=True)
class Answer:
    id: str
    title: str
    text: str
    source: str
    topic: str
    path: Path
    as_of: str = ""
    items: tuple[str, ...] = ()  # answers about the entries of a list this answer gives, in order
    titles: dict[str, str] = field(default_factory=dict, compare=False)  # curated translations: {"en": …, "ar": …}
    texts: dict[str, str] = field(default_factory=dict, compare=False)

    def title_in(self, language: str) -> str:
        """Return the title in `language`, or the French one when it has no translation."""
        return self.titles.get(language) or self.title

    def text_in(self, language: str) -> str:
        """Return the text in `language`, or the French one when it has no translation."""
        return self.texts.get(language) or self.text


@dataclass(frozen=True)
class Intent:
    id: str
    answer: str
    topic: str
    path: Path
    examples: tuple[str, ...]  # every language's examples: one matcher learns them all
    subject: str = ""
    facet: str = ""
    by_language: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)  # {"fr": …, "en": …}

    @property
    def own_examples(self) -> tuple[str, ...]:
        """Return the examples in the data's own language (the `examples` key), without the translated ones."""
        return self.by_language.get(DEFAULT_LANGUAGE, self.examples)


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    answers: tuple[str, ...]
    titles: dict[str, str] = field(default_factory=dict, compare=False)  # curated translations of the title

    def title_in(self, language: str) -> str:
        """Return the title in `language`, or the French one when it has no translation."""
        return self.titles.get(language) or self.title


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    aliases: tuple[str, ...]
    described: bool = True
    part_of: str = ""
    names: dict[str, str] = field(default_factory=dict, compare=False)  # shown in each other language
    french_aliases: int = 0  # how many of `aliases` (the first ones) are French; the others are translations
    members: frozenset[str] = frozenset()  # the aliases naming its people (« policiers »), the last of `aliases`
    places: frozenset[str] = frozenset()  # the aliases naming its place (« Nouakchott »), before its people

    def name_in(self, language: str) -> str:
        """Return how to name the subject in `language` (the French name by default)."""
        return self.names.get(language) or self.name


@dataclass(frozen=True)
class KnowledgeBase:
    answers: dict[str, Answer]
    intents: dict[str, Intent]
    topics: tuple[Topic, ...]
    subjects: dict[str, Subject]
    facets: dict[str, tuple[str, ...]]
    acronyms: dict[str, str]
    lexicon: Lexicon = field(compare=False)
    exclusive_facets: frozenset[str] = frozenset()
    out_of_scope: tuple[str, ...] = ()  # questions the bot must not answer, trained against as their own class
    # The languages each facet trigger is written for (« former » is English's: « previous »; French's « to train »).
    trigger_languages: dict[str, frozenset[str]] = field(default_factory=dict)

    def normalize(self, text: str) -> str:
        """Normalise `text` with this knowledge base's acronyms and synonyms."""
        return normalize(text, self.lexicon)

    def ancestors(self, subject: str) -> list[str]:
        """Return the subjects `subject` is part of, nearest first ("csi" -> ssi_nouakchott, ssi)."""
        chain: list[str] = []
        current = self.subjects.get(subject)
        while current is not None and current.part_of and current.part_of not in chain:
            chain.append(current.part_of)
            current = self.subjects.get(current.part_of)
        return chain

    def intent_for(self, subject: str, facet: str) -> Intent | None:
        """Return the intent answering `facet` about `subject`, if the data has one."""
        return self._by_subject_facet.get((subject, facet))

    @cached_property
    def _by_subject_facet(self) -> dict[tuple[str, str], Intent]:
        # The first intent wins, as the loader reports any second one as an error.
        index: dict[tuple[str, str], Intent] = {}
        for intent in self.intents.values():
            index.setdefault((intent.subject, intent.facet), intent)
        return index

    def answer_of(self, intent_id: str) -> Answer:
        """Return the answer an intent points at."""
        return self.answers[self.intents[intent_id].answer]

    def list_items(self, intent_id: str) -> tuple[str, ...]:
        """Return the intents answering about each entry of the list an intent's answer gives.

        Empty for "" or an intent the data no longer has (a conversation may outlive a reload).
        """
        if intent_id not in self.intents:
            return ()
        return tuple(self._intent_of_answer[a] for a in self.answer_of(intent_id).items)

    @cached_property
    def _intent_of_answer(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for intent_id in sorted(self.intents):  # the loader checks that every listed answer has one
            index.setdefault(self.intents[intent_id].answer, intent_id)
        return index

    @cached_property
    def subject_aliases(self) -> dict[str, str]:
        """Return every subject alias with its subject id."""
        return {alias: sid for sid, subject in self.subjects.items() for alias in subject.aliases}

    @cached_property
    def name_words(self) -> frozenset[str]:
        """Return the words of the data's names: its acronyms and the words of its subjects' aliases."""
        alias_words = {w for alias in self.subject_aliases for w in alias.split()}
        return frozenset({a.lower() for a in self.acronyms} | alias_words)

    @cached_property
    def subject_finder(self) -> PhraseFinder:
        return PhraseFinder(self.subject_aliases)

    @cached_property
    def facet_triggers(self) -> dict[str, str]:
        """Return every facet trigger phrase with its facet id."""
        return {t: fid for fid, ts in self.facets.items() for t in ts}

    @cached_property
    def facet_finder(self) -> PhraseFinder:
        return PhraseFinder(self.facet_triggers)

    @cached_property
    def facet_words(self) -> frozenset[str]:
        """Return the words of the facet trigger phrases (« tete », « numero », « telephone »…)."""
        return frozenset(w for phrase in self.facet_triggers for w in phrase.split())

    @cached_property
    def topic_of_answer(self) -> dict[str, Topic]:
        """Return the (first) topic of each answer id."""
        topics: dict[str, Topic] = {}
        for topic in self.topics:
            for answer_id in topic.answers:
                topics.setdefault(answer_id, topic)
        return topics

    @cached_property
    def topic_intents(self) -> dict[Topic, tuple[str, ...]]:
        """Return the intents whose answer belongs to each topic, in data order."""
        topics_of: dict[str, list[Topic]] = {}
        for topic in self.topics:
            for answer_id in dict.fromkeys(topic.answers):
                topics_of.setdefault(answer_id, []).append(topic)
        members: dict[Topic, list[str]] = {t: [] for t in self.topics}
        for intent in self.intents.values():
            for topic in topics_of.get(intent.answer, ()):
                members[topic].append(intent.id)
        return {t: tuple(ids) for t, ids in members.items()}
