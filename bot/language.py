"""Languages: which one a message is written in, and the Arabic folding `normalize` applies.

French is the reference and the default. `detect` tells French, English and Arabic apart with
no downloaded model: Arabic by its script; English against French by a naive Bayes model over
the words and character n-grams of the knowledge base's own examples and texts in each language,
plus a short list of function words. A message with nothing to judge by (acronyms, digits, words
both languages share such as « fax ») gives None, so the conversation keeps its language.

This module imports nothing from the rest of the bot at run time: `bot.text` calls `fold_arabic`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

LANGUAGES = ("fr", "en", "ar")
DEFAULT_LANGUAGE = "fr"
TRANSLATED = ("en", "ar")  # the languages whose texts and examples are translations of the French ones

# -- Arabic folding ------------------------------------------------------------------------------
_ARABIC_RE = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_ARABIC_WORD_RE = re.compile(r"[\u0621-\u064a]+")
_ARABIC_WORD_RUN_RE = re.compile(r"[\u0620-\u064a\u066e-\u06d3\ufb50-\ufdff\ufe70-\ufeff]{2}")
_FOLD = {
    **{c: None for c in range(0x0610, 0x061B)},  # Quranic marks
    **{c: None for c in range(0x064B, 0x0660)},  # harakat: fatha, damma, kasra, tanwin, shadda, sukun…
    0x0670: None, **{c: None for c in range(0x06D6, 0x06EE)},  # superscript alef, Quranic annotations
    0x0640: None,  # tatweel
    0x200E: None, 0x200F: None, 0x061C: None,  # LRM, RLM, ALM
    **{c: None for c in range(0x2066, 0x206A)},  # bidi isolates (the bot's own output, pasted back)
    0x0623: "ا", 0x0625: "ا", 0x0622: "ا", 0x0671: "ا", 0x0672: "ا", 0x0673: "ا",  # alef variants
    0x0649: "ي", 0x06CC: "ي", 0x0626: "ي", 0x0624: "و", 0x06A9: "ك", 0x0629: "ه",  # yā, kāf, tā' marbūṭa
    0x061F: "?", 0x060C: ",", 0x061B: ";", 0x066A: "%", 0x066B: ",", 0x066C: " ",  # punctuation
    **{0x0660 + d: str(d) for d in range(10)}, **{0x06F0 + d: str(d) for d in range(10)},  # digits
}
# Light stemming, applied alike to questions, examples, aliases and triggers: « وبريده » and
# « البريد » both become « بريد ». Longest prefix first; at least three letters must remain.
# The prefixes are those of Larkey, Ballesteros and Connell's « light10 » stemmer: « ف » alone is
# not one of them, because so many words begin with it (« فاكس », « فرنسا », « فريق »): stripping
# it made « فاكس » and « الفاكس » two different words.
_PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "و")
_SUFFIXES = ("كما", "هما", "ها", "هم", "هن", "كم", "كن", "نا", "ه", "ك")
_MIN_STEM = 3


def _without_proclitic(word: str) -> str:
    """Strip one proclitic (و, ال, بال…) from a folded Arabic word, if three letters remain."""
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            return word[len(prefix):]
    return word


def _stem(word: str) -> str:
    """Strip one proclitic (و, ف, ال…) and one pronoun suffix from a folded Arabic word."""
    word = _without_proclitic(word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


# Third-person pronouns written joined to a word: « عنوانها » its address, « من يرأسها » who heads it,
# « ماذا تعرف عنها » what do you know about it. The stemmer strips them, so they are looked for in the
# folded words before stemming. « ـه » (his) is left out: people type « ة » as « ه » (« المصلحه »).
_THIRD_PERSON_SUFFIXES = ("هما", "ها", "هم", "هن")
_PREPOSITIONS = ("ب", "ل", "في", "عن", "من", "مع", "علي", "الي")  # folded: « على » is « علي »


def refers_back_in_arabic(text: str) -> bool:
    """Tell whether `text` has an Arabic word ending in a third-person pronoun (« عنوانها », « عنها »)."""
    if not _ARABIC_RE.search(text):
        return False
    for word in map(_without_proclitic, _ARABIC_WORD_RE.findall(text.translate(_FOLD))):
        for suffix in _THIRD_PERSON_SUFFIXES:
            if word.endswith(suffix) and (len(word) - len(suffix) >= _MIN_STEM
                                          or word[: -len(suffix)] in _PREPOSITIONS):
                return True
    return False


# « الDCI », « الـSSI », « بالـASI »: the article and its prepositions joined to an acronym in Latin letters
# (tatweel folded away) are cut off, so that the acronym is read as it is alone.
_CLITICS_BEFORE_LATIN_RE = re.compile(r"(?<![\u0621-\u064a])(?:[وفبلك]?ال|[وفبلك])(?=[A-Za-z\u00c0-\u024f])")


def fold_arabic(text: str) -> str:
    """Fold Arabic variants away: diacritics, tatweel, alef/yā/tā' marbūṭa forms, digits, clitics."""
    if text.isascii() or not _ARABIC_RE.search(text) and not any(0x2066 <= ord(c) <= 0x2069 for c in text):
        return text
    if re.search(r"[\ufb50-\ufdff\ufe70-\ufeff]", text):
        text = unicodedata.normalize("NFKC", text)  # presentation forms -> letters
    text = _CLITICS_BEFORE_LATIN_RE.sub(" ", text.translate(_FOLD))
    return _ARABIC_WORD_RE.sub(lambda m: _stem(m.group(0)), text)


def is_arabic(text: str) -> bool:
    """Tell whether `text` has an Arabic word: acronyms and names in Latin letters come with Arabic too."""
    return _ARABIC_WORD_RUN_RE.search(text) is not None


# Function words of the other languages, so that the French stopword list also covers them
# (key terms, follow-ups); written as users type them, folded like questions are.
_EN_STOPWORDS = """the and or of to in at for with by from about is are was were be been being do does did
can could would will shall should may might must what who whom whose which where when why how this that
these those it its his her hers their theirs them they he she we you your yours me my our us please tell
give know there here any some much many hi hey hello thanks thank want need like get find show explain
mean means meant let would anything something someone anyone kind sort just also very really still
all both each few more most other such only own same so than too not nor no yes if as because while then
up down out over under into onto through between since before after until during against among within
has have had having am im ive id ill don doesn didn isn aren wasn weren won wouldn couldn shouldn ll re ve
whats whos wheres hows wat wot ur pls plz thx ok okay anyway anyways actually basically exactly precisely
simply generally currently mainly main guy guys folks stuff thing things bit lot lots kindly briefly quickly
looking look wondering wonder seeking searching curious information info idea overview
different various several numerous multiple major""".split()
_AR_STOPWORDS = """ما ماذا من هو هي هم في على عن الى إلى هل كيف متى أين اين لماذا كم هذا هذه ذلك تلك الذي التي
الذين و او أو ثم مع ان أن إن كان كانت لي لك له لها لو يا أريد اريد أود ممكن فضلك شكرا مرحبا السلام عليكم
أي اي بعض كل عند لدى قد لا نعم هناك هنا أنا انا نحن انت أنت أعطني اعطني أخبرني اخبرني
ال يعني تعني معنى ماهو ماهي شو ايش إيش شنو وش وين فين ليش علاش واش كيفاش بغيت ابغى أبغى عايز بدي
حول بخصوص بشأن لو سمحت رجاء الرجاء اعرف أعرف معرفة قل قولي اخبرنا أخبرنا اعطنا أعطنا
شنهو شنهي شنهوا شنو منهو منهي منو شكون اللي الي هاذي هاذ هاذا هذي ذي ذا ذاك هذاك هديك نبغي نبغى نحب
نعرف نعرفو عطيني عطني منين امنين قداش شحال لاش اشنو واشنو نتوما انتوما هوما حنا احنا عندك عندكم
عمليا بالضبط تحديدا فقط أيضا ايضا كذلك حاليا بشكل يمكنني يمكنك تقدر تقدرون
يمكنكم فكرة معلومات معلومة المعلومات تعرف تعرفون أخبروني تخبروني تخبرني خبرني حدثني حدثنا حدثوني حدثونا
سؤال أسئلة تعطيني تعطوني أعطوني أبحث ابحث نبحث ضمن بها به بهم لها له لهم فيها فيه فيهم عنها عنه عنهم
منها منه منهم معها معه معهم عليها عليه عليهم إليها إليه إليهم حتى لكي كي أستعد استعد جيدا
مختلف مختلفة المختلفة عدة العديد رئيسية الرئيسية أهم أساسية الأساسية
اشرح اشرحي اشرحوا اشرحلي شرح وضح وضحي وضحوا توضيح صف صفي صفوا وصف عرفني عرفوني فسر فسري تفسير لخص لخصي ملخص
قولي يفعل تفعل يفعلون تفعلون يعمل تعمل يعملون تقوم يقوم يقومون مين يجب ينبغي لازم أرغب ارغب أحتاج احتاج
استفسار سؤالي شيء أشياء الناس جدا كثيرا فعلا حقا عموما الآن تفاصيل تفصيل بالتفصيل باختصار يهمني مهتم مهتمة
طالب طالبة""".split()
# « و » (and) is written joined to the next word: « وهل », « وما » are function words too. The light
# stemmer leaves it when fewer than three letters would remain.
FOREIGN_STOPWORDS = (frozenset(_EN_STOPWORDS) | frozenset(fold_arabic(w) for w in _AR_STOPWORDS)
                     | frozenset("و" + fold_arabic(w) for w in _AR_STOPWORDS if not w.startswith("و")))

# -- detection -----------------------------------------------------------------------------------
# Function words seen as training text, so that « hello » or « the » decide even if no example uses them.
_FUNCTION_WORDS = {
    "en": " ".join(_EN_STOPWORDS) + " number phone address email who heads director head office service",
    "fr": ("le la les un une des du de et ou est sont que qui quoi quel quelle quels ou où comment pourquoi "
           "quand combien ce cet cette ces son sa ses leur je tu il elle nous vous ils elles avec pour sur dans "
           "par pas ne bonjour salut merci svp numéro téléphone adresse courriel chef directeur c'est qu'est-ce"),
}
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_NGRAMS = (1, 2, 3, 4)
_ALPHA = 0.5  # additive smoothing of the counts
WORD_WEIGHT = 1.0  # weight of a token's word likelihood against its character n-grams' mean
UNKNOWN_WEIGHT = 0.5  # weight of a word no sample uses (typos, names): its n-grams say less
# Log-likelihood lead a language needs; leaving French (the default) needs more evidence.
MIN_MARGIN = {"fr": 1.0, "en": 2.0}
_MEMO_SIZE = 50_000  # tokens whose scores are remembered


def _grams(token: str) -> list[str]:
    padded = f" {token} "
    return [padded[i:i + n] for n in _NGRAMS for i in range(len(padded) - n + 1) if padded[i:i + n].strip()]


class _Counts:
    """Word and character n-gram counts of one language's text, as smoothed log-probabilities.

    Frequencies are scaled to a common total: a language with less text must not make unseen
    words (typos, names) more likely in it than in the others.
    """

    def __init__(self, tokens: Iterable[str]) -> None:
        self.words = Counter(tokens)
        self.grams: Counter[str] = Counter()
        for token, n in self.words.items():
            for gram in _grams(token):
                self.grams[gram] += n
        self.word_total = sum(self.words.values()) or 1
        self.gram_total = sum(self.grams.values()) or 1

    def word(self, token: str, vocabulary: int, total: float) -> float:
        return math.log((self.words[token] * total / self.word_total + _ALPHA) / (total + _ALPHA * vocabulary))

    def gram(self, gram: str, vocabulary: int, total: float) -> float:
        return math.log((self.grams[gram] * total / self.gram_total + _ALPHA) / (total + _ALPHA * vocabulary))


class LanguageDetector:
    """Tell English from French (and Arabic by its script) with models fitted on sample texts."""

    def __init__(self, samples: Mapping[str, Iterable[str]], neutral: Iterable[str] = ()) -> None:
        self.neutral = frozenset(w.casefold() for w in neutral)
        self._counts = {lang: _Counts(self.tokens(" ".join([*texts, _FUNCTION_WORDS[lang]])))
                        for lang, texts in samples.items() if lang in _FUNCTION_WORDS}
        counts = self._counts.values()
        self._vocabulary = set().union(*(c.words for c in counts))
        self._word_vocabulary = len(self._vocabulary)
        self._gram_vocabulary = len(set().union(*(c.grams for c in counts)))
        self._word_total = sum(c.word_total for c in counts) / max(len(counts), 1)
        self._gram_total = sum(c.gram_total for c in counts) / max(len(counts), 1)
        self._memo: dict[str, dict[str, float]] = {}

    def tokens(self, text: str) -> list[str]:
        """Return the words of `text` that can tell a language: no acronyms, digits or neutral names."""
        words = _TOKEN_RE.findall(text.replace("’", "'"))
        return [w.casefold() for w in words
                if not (len(w) > 1 and w.isupper()) and w.casefold() not in self.neutral]

    def scores(self, text: str) -> dict[str, float]:
        """Return each Latin-script language's log-likelihood of `text`, summed over its tokens."""
        totals = dict.fromkeys(self._counts, 0.0)
        for token in self.tokens(text):
            for lang, value in self._token_scores(token).items():
                totals[lang] += value
        return totals

    def _token_scores(self, token: str) -> dict[str, float]:
        """Return each language's log-likelihood of one token (remembered: users repeat their words).

        A word no sample uses (a typo, a name) is judged on its character n-grams alone, at half weight.
        """
        found = self._memo.get(token)
        if found is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            grams = _grams(token)
            known = token in self._vocabulary
            found = {}
            for lang, counts in self._counts.items():
                gram_part = sum(counts.gram(g, self._gram_vocabulary, self._gram_total) for g in grams) / len(grams)
                if known:
                    found[lang] = gram_part + WORD_WEIGHT * counts.word(token, self._word_vocabulary, self._word_total)
                else:
                    found[lang] = UNKNOWN_WEIGHT * gram_part
            self._memo[token] = found
        return found

    def detect(self, text: str) -> str | None:
        """Return 'ar', 'en' or 'fr' for `text`, or None when it does not say."""
        if is_arabic(text):
            return "ar"
        scores = self.scores(text)
        if len(scores) < 2 or not any(scores.values()):
            return None
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)
        margin = scores[ranked[0]] - scores[ranked[1]]
        return ranked[0] if margin >= MIN_MARGIN.get(ranked[0], MIN_MARGIN[DEFAULT_LANGUAGE]) else None


def training_texts(kb: KnowledgeBase, skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Return the sample texts of each language: the intents' examples and the answers' texts.

    French counts twice, as written and without accents: users often type « cooperation ». The
    translations' parentheses are left out: they give the French names (« (Direction générale…) »).
    `skip` leaves out examples (held out to measure the detector).
    """
    samples: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for intent in kb.intents.values():
        for lang, examples in intent.by_language.items():
            samples[lang].extend(e for e in examples if e not in skip)
    for answer in kb.answers.values():
        samples["fr"].extend((answer.title, answer.text))
        for lang in TRANSLATED:
            translated = (answer.titles.get(lang, ""), answer.texts.get(lang, ""))
            samples[lang].extend(_PARENTHESES_RE.sub(" ", text) for text in translated)
    samples["fr"] += [_unaccented(text) for text in samples["fr"]]
    return samples


_PARENTHESES_RE = re.compile(r"\([^()]*\)")


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def neutral_words(kb: KnowledgeBase) -> set[str]:
    """Return words that say nothing of the language: acronyms and the single-word names of subjects."""
    words = {a.casefold() for a in kb.acronyms}
    words.update(alias for subject in kb.subjects.values() for alias in subject.aliases if " " not in alias)
    return words


def detector_for(kb: KnowledgeBase, skip: frozenset[str] = frozenset()) -> LanguageDetector:
    """Return the detector fitted on `kb` (kept for the last knowledge bases seen)."""
    key = (id(kb), skip)
    entry = _DETECTORS.get(key)
    if entry is None or entry[0] is not kb:
        if len(_DETECTORS) >= 4:
            _DETECTORS.pop(next(iter(_DETECTORS)))
        entry = _DETECTORS[key] = (kb, LanguageDetector(training_texts(kb, skip), neutral_words(kb)))
    return entry[1]


_DETECTORS: dict[tuple[int, frozenset[str]], tuple[KnowledgeBase, LanguageDetector]] = {}


def detect(text: str, kb: KnowledgeBase) -> str | None:
    """Return the language of `text` ('fr', 'en' or 'ar'), or None when it does not tell."""
    return detector_for(kb).detect(text)
