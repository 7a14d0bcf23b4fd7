"""Engine.reply(text, conversation) -> Reply: the one core every front end calls.

Decision rules, in this order:

1. a number answering a pending "did you mean" list picks that suggestion; « aucune » refuses it;
2. after an answer giving a list, "le premier", "le 3e", "le dernier" answer about that entry;
3. a follow-up ("et son mail ?") is resolved against the conversation's last subject; if the data
   has nothing on that facet of that subject, the engine falls back instead of borrowing another
   subject's answer; "qui la met en œuvre ?" gets the last answer again when it says so;
4. otherwise the asking clause is ranked (bot/ranking.py) and bot/decision.py decides: the best
   candidate the key-term guard allows is answered when the learned probability that answering is
   right reaches the threshold of the language the message is written in, offered with its close
   runner-ups as a choice ("clarify") above ``[decision] clarify_threshold``, and the engine falls
   back below that.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from bot.calibration import fit_models_cached
from bot.config import Config
from bot.decision import ANSWERED, CLARIFY, FALLBACK, DecisionModel, decide
from bot.dialogue import (
    NONE_OF_THEM,
    Conversation,
    asked_facet,
    focused_subjects,
    is_anaphoric,
    is_bare_mention,
    is_follow_up,
    list_position,
    parse_choice,
    points_back,
)
from bot.guard import KeyTermGuard
from bot.knowledge import KnowledgeBase
from bot.language import DEFAULT_LANGUAGE, detect
from bot.matcher import IntentMatcher, matcher_params
from bot.messages import LIST_SEPARATOR, bidi, message
from bot.problems import KnowledgeError, Problem
from bot.provenance import require_provenance
from bot.question import SmallTalk, read_question, small_talk, unknown_names
from bot.ranking import Ranker, Ranking, vetoed
from bot.reader import load_knowledge
from bot.reply import Explanation, Reply, Suggestion
from bot.text import content_tokens, of
from bot.unanswered import Recorder

LOGGER = logging.getLogger(__name__)
RELATED_QUESTIONS = 3  # questions offered beside an answer (its topic's) or a fallback about a subject (its own)


@dataclass(frozen=True)
class _State:
    """Everything reload swaps at once."""

    kb: KnowledgeBase
    matcher: IntentMatcher
    ranker: Ranker
    model: DecisionModel
    small_talk: SmallTalk  # what greetings and thanks are made of (see bot/question.py)

    @property
    def guard(self) -> KeyTermGuard:
        return self.ranker.guard


# The language of the reply being built (set by Engine.reply for the duration of one call).
_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("faqbot_language", default=DEFAULT_LANGUAGE)
# The language the message is written in, when it tells (the decision's threshold was learned per
# written language: a French question gets the French threshold even when the reply is in English).
_WRITTEN_IN: contextvars.ContextVar[str | None] = contextvars.ContextVar("faqbot_written_in", default=None)


def _msg(key: str, **values: object) -> str:
    """Return the catalogue's message `key` in the language of the reply being built."""
    return message(key, _LANGUAGE.get(), **values)


def _question_language() -> str:
    """Return the language whose decision threshold applies to the message being answered."""
    return _WRITTEN_IN.get() or _LANGUAGE.get()


def _threshold(state: _State) -> float:
    """Return the answer threshold for the message being answered."""
    return state.model.threshold(_question_language())


def _shown(text: str) -> str:
    """Return a data text as shown in the reply's language (Arabic: left-to-right runs isolated)."""
    return bidi(text) if _LANGUAGE.get() == "ar" else text


class Engine:
    """Answer questions from the knowledge base; safe to share between conversations."""

    def __init__(self, config: Config, recorder: Recorder | None = None) -> None:
        """Build the engine on `config`'s data; clarify and fallback replies are told to `recorder`, if any."""
        self.config = config
        self.recorder = recorder
        self._state = self._build()
        self._reload_lock = threading.Lock()

    def without_recorder(self) -> Engine:
        """Return an engine sharing this one's data that records nothing (to re-ask logged questions)."""
        quiet = copy.copy(self)
        quiet.recorder = None
        return quiet

    def _build(self) -> _State:
        paths = self.config.paths
        kb = load_knowledge(paths.knowledge, paths.intents, self.config.text.language)
        require_provenance(kb, paths.source, self.config.path)  # never serve a fact the source does not give
        params = matcher_params(self.config.matcher)
        matcher, model = fit_models_cached(kb, params, self.config.decision, paths.cache)
        examples = zip(matcher.examples_, [matcher.intent_ids_[i] for i in matcher.example_intent_], strict=True)
        silent = model.silent_languages()
        if silent:
            LOGGER.warning("the learned decision answers no question in %s: no out-of-fold probability reaches "
                           "[decision] target_precision %g (see faqbot check)", ", ".join(silent),
                           self.config.decision.target_precision)
        return _State(kb, matcher, Ranker(kb, matcher, self.config.decision), model,
                      small_talk(kb, examples, self.config.dialogue.small_talk_topics))

    @property
    def kb(self) -> KnowledgeBase:
        return self._state.kb

    @property
    def matcher(self) -> IntentMatcher:
        return self._state.matcher

    @property
    def answer_threshold(self) -> float:
        """Return the probability of being right above which the engine answers French (learned out of fold)."""
        return self._state.model.threshold(DEFAULT_LANGUAGE)

    @property
    def answer_thresholds(self) -> dict[str, float]:
        """Return the answer threshold learned for each language (and "*" for the others)."""
        return {"*": self._state.model.answer_threshold, **self._state.model.thresholds}

    @property
    def silent_languages(self) -> list[str]:
        """Return the languages in which the learned decision answers no question at all (see DecisionModel)."""
        return self._state.model.silent_languages()

    def reload(self) -> list[Problem]:
        """Load the data again and swap it in; on errors keep serving the old data and return them."""
        with self._reload_lock:
            try:
                state = self._build()
            except KnowledgeError as exc:
                return exc.problems
            self._state = state  # one assignment: a concurrent reply sees the old or the new state
            return []

    # -- answering ---------------------------------------------------------------------------
    def reply(self, text: str, conversation: Conversation | None = None, now: float | None = None,
              channel: str = "api", language: str | None = None) -> Reply:
        """Answer one user message in the given conversation (a fresh one if None).

        The reply is in `language` if given, else in the user's chosen language, else in the language
        the message is written in, else in the conversation's (French at first).
        Clarify and fallback replies are told to the engine's recorder (if any), tagged with `channel`.
        """
        conversation = conversation if conversation is not None else Conversation()
        written_in = detect(text, self.kb)
        language = language or conversation.language_choice or written_in or conversation.language
        token = _WRITTEN_IN.set(written_in)
        try:
            reply = self._in_language(language, conversation, self._decide, text, conversation, now)
        finally:
            _WRITTEN_IN.reset(token)
        if reply.status != ANSWERED and reply.question.strip() and self.recorder is not None:
            self.recorder.record(channel, reply.question, reply.status,
                                 [{"intent": c.intent, "score": c.score} for c in reply.explanation.candidates])
        return reply

    def log_refusal(self, question: str, channel: str, reason: str) -> None:
        """Log a "none of these" pick or negative feedback on `question`."""
        if self.recorder is not None and question.strip():
            self.recorder.record(channel, question, reason, [])

    def _decide(self, text: str, conversation: Conversation | None, now: float | None) -> Reply:
        conversation = conversation if conversation is not None else Conversation()
        now = time.time() if now is None else now
        state = self._state
        question = text.strip()
        choice = parse_choice(question)
        if not question:
            reply = Reply(text, FALLBACK, _msg("empty_question"), explanation=Explanation("empty question"))
            return reply  # an empty line changes nothing: pending choices stay
        if isinstance(choice, int) and conversation.suggestions:
            reply = self._pick(state, question, choice, conversation)
        elif choice == NONE_OF_THEM and conversation.suggestions:
            reply = self.none_of_these(conversation, _LANGUAGE.get())
        elif isinstance(choice, int):  # "1" with no list pending: a number alone asks nothing
            reply = Reply(question, FALLBACK, _msg("no_pending_choice"),
                          explanation=Explanation("number with no choice pending"))
        else:
            ttl = self.config.dialogue.context_ttl_seconds
            reply = self._understand(state, question, conversation.topic(now, ttl),
                                     conversation.recent_intent(now, ttl), conversation.recent_list(now, ttl))
        self._commit(state, reply, conversation, now)
        return reply

    def answer_intent(self, intent_id: str, conversation: Conversation | None = None,
                      question: str | None = None, now: float | None = None, language: str | None = None) -> Reply:
        """Answer a known intent directly (a picked suggestion, a menu button), in the conversation's language."""
        conversation = conversation if conversation is not None else Conversation()
        language = language or conversation.language_choice or conversation.language
        return self._in_language(language, conversation, self._answer_intent, intent_id, conversation, question, now)

    def _in_language(self, language: str, conversation: Conversation, build: Any, *args: Any) -> Reply:
        """Build a reply in `language`, remember the language, add the translation notice once."""
        language = language or DEFAULT_LANGUAGE
        token = _LANGUAGE.set(language)
        try:
            reply = replace(build(*args), language=language)
        finally:
            _LANGUAGE.reset(token)
        conversation.language = language
        answer = self.kb.answers.get(self.kb.intents[reply.intent].answer) if reply.intent in self.kb.intents else None
        if (reply.status == ANSWERED and answer is not None and language in answer.texts
                and not conversation.translation_noted):
            conversation.translation_noted = True
            reply = replace(reply, text=reply.text + "\n\n" + message("unofficial", language))
        return reply

    def _answer_intent(self, intent_id: str, conversation: Conversation, question: str | None,
                       now: float | None) -> Reply:
        state = self._state
        if intent_id not in state.kb.intents:
            return Reply(question or intent_id, FALLBACK, _msg("unknown_choice"),
                         explanation=Explanation("unknown intent"))
        title = state.kb.answer_of(intent_id).title_in(_LANGUAGE.get())
        reply = self._answered(state, question or title, intent_id, 1.0, Explanation("picked"))
        self._commit(state, reply, conversation, time.time() if now is None else now)
        return reply

    def none_of_these(self, conversation: Conversation, language: str | None = None) -> Reply:
        """The user refused every suggestion: forget them and invite a rephrasing."""
        conversation.suggestions = ()
        language = language or conversation.language_choice or conversation.language or DEFAULT_LANGUAGE
        return Reply("", FALLBACK, message("none_of_these", language), explanation=Explanation("none of these"),
                     language=language)

    def _commit(self, state: _State, reply: Reply, conversation: Conversation, now: float) -> None:
        """Update the conversation after a reply: topic on answers, pending choices on clarify."""
        if reply.status == ANSWERED and reply.intent:
            kb = state.kb
            if kb.answer_of(reply.intent).items:
                conversation.list_intent = reply.intent
            elif reply.intent not in kb.list_items(conversation.list_intent):
                conversation.list_intent = ""  # the list stays while the user goes through its entries
            conversation.remember(kb.intents[reply.intent], now)
        elif reply.status == CLARIFY:
            conversation.suggestions = tuple(s.intent for s in reply.suggestions)
        else:
            conversation.suggestions = ()

    def _pick(self, state: _State, question: str, choice: int, conversation: Conversation) -> Reply:
        if not 1 <= choice <= len(conversation.suggestions):
            return Reply(question, CLARIFY, _msg("bad_choice", n=len(conversation.suggestions)),
                         suggestions=self._suggestions(state, conversation.suggestions),
                         explanation=Explanation("number out of range"))
        return self._answered(state, question, conversation.suggestions[choice - 1], 1.0,
                              Explanation(f"picked suggestion {choice}"))

    def _understand(self, state: _State, question: str, context: tuple[str, str] | None, last_intent: str = "",
                    list_intent: str = "") -> Reply:
        """Decide how to answer a question, using the conversation's topic for follow-ups."""
        kb = state.kb
        normalized, named = read_question(kb, question, state.small_talk, state.guard.known_words)
        explanation = Explanation(normalized=normalized, subjects=list(named),
                                  context=tuple(context) if context else None)
        # « ??? », emoji only, « à », « <a> »: no word of two letters or more to understand, nothing to borrow
        # from context (« a » alone is no « à plus »)
        if all(len(token) < 2 for token in normalized.split()):
            explanation.rule = "no word in the message"
            return self._fallback(state, question, 0.0, explanation)
        items = kb.list_items(list_intent)
        reference = list_position(normalized) if items else None
        if reference is not None:  # "le premier de la liste": an entry of the list just given
            position, rest = reference
            asks_more = bool(content_tokens(rest))
            rule = f"position {position} in the list of {list_intent!r}"
            entry = items[position - 1 if position > 0 else position] if -len(items) <= position <= len(items) else ""
            # « the first one, what's that role? »: what else it asks is asked of the entry, unless it names
            # something else (« la DCI a été créée le 1er septembre ? »)
            about = kb.intents[entry].subject if entry else ""
            if entry and all(s == about or s in kb.ancestors(about) for s in focused_subjects(kb, rest)):
                if asks_more and vetoed(state.guard.check(rest, entry), state.model.max_uncovered):
                    explanation.rule = f"{rule}: the guard refuses {rest!r} of it"
                    return self._nothing_about(state, question, about, 0.0, explanation)
                explanation.rule = rule + (f", asking {rest!r} of it" if asks_more else "")
                return self._answered(state, question, entry, 1.0, explanation)
            if not entry and not asks_more:
                explanation.rule = rule
                return Reply(question, FALLBACK, _msg("short_list", n=len(items)), explanation=explanation)
        favoured = named
        if context and named and all(s in kb.ancestors(context[0]) for s in named):
            # "le chef du service" while talking about the SSI of Nouakchott's liaison officer:
            # the general name stands for the service of the conversation.
            favoured = [context[0], *(s for s in kb.ancestors(context[0]) if s not in named)]
        # « le FBI », « et celui de la DGSE ? »: a name the data does not know, in the asking clause, is about
        # something the page does not describe, whatever the conversation was about
        names = unknown_names(question, state.guard.known_words, kb.name_words) & set(normalized.split())
        direct = self._match(state, question, normalized, favoured, explanation, names)
        if names:
            return direct
        if items and direct.status == ANSWERED and direct.intent in items:
            return direct  # another entry of the list being gone through (« and the aviation one? »)
        entry_subjects = {kb.intents[i].subject for i in items}
        if items and direct.status != ANSWERED and all(not kb.subjects[s].described or s in entry_subjects
                                                       for s in named):
            entry, refused = self._named_entry(state, normalized, items)
            if entry is not None:  # « the one on cocaine »: the one entry of the list its words name
                explanation.rule = f"entry {entry!r} of the list of {list_intent!r}, named by its words"
                if refused:  # « combien coûte celui sur la cocaïne ? »: the page has nothing on this about it
                    explanation.rule += ": the guard refuses it"
                    return self._nothing_about(state, question, kb.intents[entry].subject, direct.confidence,
                                               explanation)
                return self._answered(state, question, entry, _threshold(state), explanation)
        if context is None:
            return direct
        subject, last_facet = context
        described = [s for s in named if kb.subjects[s].described]
        if not described and is_follow_up(kb, normalized):
            return self._follow_up(state, question, normalized, subject, last_intent, direct, explanation)
        if (len(described) == 1 and last_facet and is_bare_mention(kb, normalized, described[0])
                and not asked_facet(kb, normalized)):
            intent = kb.intent_for(described[0], last_facet)
            if intent is not None:  # "et l'ASI ?": the same question about another subject
                explanation.rule = f"same facet {last_facet!r} asked about {described[0]!r}"
                return self._answered(state, question, intent.id, _threshold(state), explanation)
        return direct

    @staticmethod
    def _named_entry(state: _State, normalized: str, items: tuple[str, ...]) -> tuple[str | None, bool]:
        """Return the entry of a list that the question's words name, if exactly one does, and whether
        the guard refuses it.

        An entry is named by a key term it covers and no other entry does (« cocaine » names the
        ALCAO programme among the SSI's programmes). The guard refuses it for a subject or a datum it
        does not give: « combien coûte celui sur la cocaïne ? » names it, but the page has no cost.
        """
        verdicts = {item: state.guard.check(normalized, item) for item in items}
        uncovered = {item: set(v.uncovered) for item, v in verdicts.items()}
        terms = set().union(*uncovered.values())
        named = {item for term in terms for item in items
                 if term not in uncovered[item] and all(term in uncovered[o] for o in items if o != item)}
        if len(named) != 1:
            return None, False
        entry = named.pop()
        return entry, verdicts[entry].conflict or verdicts[entry].asked_uncovered

    def _follow_up(self, state: _State, question: str, normalized: str, subject: str, last_intent: str,
                   direct: Reply, explanation: Explanation) -> Reply:
        """Answer a question that leans on the previous subject, or say the data has nothing on it."""
        kb = state.kb
        explanation.follow_up = subject
        facet = asked_facet(kb, normalized)
        pointing_back = points_back(normalized)
        if (not facet and last_intent in kb.intents and pointing_back
                and state.guard.answer_says(normalized, last_intent)):
            explanation.rule = f"follow-up: the last answer ({last_intent!r}) says what is asked"
            return self._answered(state, question, last_intent, _threshold(state), explanation)
        answered_about = kb.intents[direct.intent].subject if direct.status == ANSWERED else None  # type: ignore[index]
        if answered_about is not None and (answered_about in ("", subject) or subject in kb.ancestors(answered_about)):
            return direct  # about the subject, or a part of it (« the one on cocaine » of the SSI's programmes)
        completed = f"{normalized} {kb.subjects[subject].aliases[0]}"
        ranking = state.ranker.rank(completed, [subject])
        intent = kb.intent_for(subject, facet) if facet else None
        # « il a un numéro de portable perso ? »: the facet's answer must also cover the other words asked.
        if intent is not None and not vetoed(state.guard.check(normalized, intent.id), state.model.max_uncovered):
            score = next((c.score for c in ranking.candidates if c.intent == intent.id), 0.0)
            explanation.rule = f"follow-up: facet {facet!r} of the conversation's subject {subject!r}"
            confidence = max(score, _threshold(state))
            return self._answered(state, question, intent.id, confidence, explanation)
        # The guard judges what the user wrote: the appended subject must not vouch for unknown words.
        within = tuple(replace(c, verdict=state.guard.check(normalized, c.intent)) for c in ranking.candidates
                       if kb.intents[c.intent].subject == subject)
        decision = decide(replace(ranking, candidates=within), state.model, self.config.decision,
                          _question_language())
        if decision.status == ANSWERED:
            explanation.rule = f"follow-up matched within the conversation's subject {subject!r}: {decision.rule}"
            return self._answered(state, question, decision.intent, decision.confidence, explanation)  # type: ignore[arg-type]
        if direct.status == CLARIFY and not facet:  # offering choices borrows nothing
            return direct
        explanation.rule = f"follow-up: the data has nothing on this about {subject!r}"
        if not facet and not pointing_back and not is_anaphoric(normalized):
            # « ??? », an insult, a lone word: nothing was asked about the subject, so say nothing of it.
            return self._fallback(state, question, decision.confidence, explanation)
        return self._nothing_about(state, question, subject, decision.confidence, explanation,
                                   replace(ranking, candidates=within))

    def _nothing_about(self, state: _State, question: str, subject: str, confidence: float,
                       explanation: Explanation, ranking: Ranking | None = None) -> Reply:
        """Fall back saying that the data has nothing on what was asked about `subject`, offering (as
        related questions) what it has on it, the closest to the question first."""
        kb = state.kb
        language, named = _LANGUAGE.get(), kb.subjects[subject]
        name = of(named.name) if language == DEFAULT_LANGUAGE else named.name_in(language)
        text = _msg("not_for_subject", subject=name) + "\n" + self._help_line(state)
        about = [c.intent for c in ranking.candidates if kb.intents[c.intent].subject == subject] if ranking else []
        return Reply(question, FALLBACK, text, confidence=confidence, explanation=explanation,
                     related=self._suggestions(state, about[:RELATED_QUESTIONS]))

    def _match(self, state: _State, question: str, normalized: str, named: list[str],
               explanation: Explanation, names: frozenset[str] = frozenset()) -> Reply:
        """Decide on the question alone: answer, clarify or fall back (`names`: unknown names it writes)."""
        explanation = replace(explanation)
        ranking = state.ranker.rank(normalized, named, unknown_names=names)
        decision = decide(ranking, state.model, self.config.decision, _question_language())
        explanation.candidates = [c.report(state.model.max_uncovered) for c in ranking.candidates]
        explanation.out_of_scope, explanation.normalized = ranking.out_of_scope, ranking.read_as
        explanation.rule = decision.rule
        if decision.status == ANSWERED:
            return self._answered(state, question, decision.intent, decision.confidence, explanation)  # type: ignore[arg-type]
        if decision.status == CLARIFY:
            # No text: each channel words the offer of the suggestions itself (see Reply).
            return Reply(question, CLARIFY, "", confidence=decision.confidence,
                         suggestions=self._suggestions(state, decision.offered), explanation=explanation)
        described = [s for s in named if state.kb.subjects[s].described]
        if len(described) == 1:  # « le budget de la DCI »: nothing on that, but the DCI's questions are offered
            return self._nothing_about(state, question, described[0], decision.confidence, explanation, ranking)
        return self._fallback(state, question, decision.confidence, explanation)

    def _answered(self, state: _State, question: str, intent_id: str, confidence: float,
                  explanation: Explanation) -> Reply:
        kb = state.kb
        answer = kb.answer_of(intent_id)
        topic = kb.topic_of_answer.get(answer.id)
        siblings = [i for i in kb.topic_intents[topic] if i != intent_id][:RELATED_QUESTIONS] if topic else []
        language = _LANGUAGE.get()
        return Reply(question, ANSWERED, _shown(answer.text_in(language)), intent=intent_id, confidence=confidence,
                     title=_shown(answer.title_in(language)),
                     source=answer.source, related=self._suggestions(state, siblings), explanation=explanation)

    def _fallback(self, state: _State, question: str, confidence: float, explanation: Explanation) -> Reply:
        return Reply(question, FALLBACK, _msg("no_information") + "\n" + self._help_line(state),
                     confidence=confidence, explanation=explanation)

    def _suggestions(self, state: _State, intent_ids: Any) -> tuple[Suggestion, ...]:
        language = _LANGUAGE.get()
        return tuple(Suggestion(i, _shown(state.kb.answer_of(i).title_in(language)))
                     for i in intent_ids if i in state.kb.intents)

    def _help_line(self, state: _State) -> str:
        language = _LANGUAGE.get()
        hidden = self.config.dialogue.help_line_hidden_topics
        topics = [t.title_in(language) for t in state.kb.topics if t.id not in hidden]
        return _msg("help_line", topics=LIST_SEPARATOR[language].join(topics))
