"""The bot's own words in each language (French, the reference, then English and Arabic).

The engine words its replies with them, and the console its clarify list.

`message(key, language, **values)` returns a ready-to-show text: French gets its typography
(no-break spaces before ? ! :), Arabic gets its left-to-right runs (acronyms, phone numbers,
e-mails, /commands) isolated so they read correctly inside right-to-left text (`bidi`).
"""

from __future__ import annotations

import re

from bot.language import DEFAULT_LANGUAGE, LANGUAGES
from bot.text import french_typography

CATALOGUE: dict[str, dict[str, str]] = {
    "empty_question": {
        "fr": "Posez-moi une question, par exemple : « Qu'est-ce que la DCI ? »",
        "en": "Ask me a question, for example: “What is the DCI?”",
        "ar": "يُرجى طرح سؤال، مثلًا: «ما هي مديرية التعاون الدولي DCI؟»",
    },
    "unknown_choice": {
        "fr": "Ce choix n'existe plus. Posez votre question à nouveau, s'il vous plaît.",
        "en": "This choice is no longer available. Please ask your question again.",
        "ar": "هذا الخيار لم يعد متاحًا. يُرجى طرح سؤالكم من جديد.",
    },
    "none_of_these": {
        "fr": "D'accord. Pouvez-vous reformuler votre question avec d'autres mots ?",
        "en": "All right. Could you rephrase your question in other words?",
        "ar": "حسنًا. هل يمكنكم إعادة صياغة سؤالكم بكلمات أخرى؟",
    },
    "no_pending_choice": {
        "fr": "Je n'ai pas de liste de choix en cours. Posez votre question avec des mots, s'il vous plaît.",
        "en": "There is no list of choices to pick from. Please ask your question in words.",
        "ar": "لا توجد قائمة خيارات حاليًا. يُرجى طرح سؤالكم بالكلمات.",
    },
    "bad_choice": {
        "fr": "Tapez un numéro entre 1 et {n}, ou posez une autre question.",
        "en": "Please type a number between 1 and {n}, or ask another question.",
        "ar": "يُرجى كتابة رقم بين 1 و{n}، أو طرح سؤال آخر.",
    },
    "short_list": {
        "fr": "La liste que je vous ai donnée ne compte que {n} éléments. Lequel vous intéresse ?",
        "en": "The list I gave you has only {n} items. Which one are you interested in?",
        "ar": "القائمة التي قدّمتها لكم لا تضم سوى {n} عناصر. أيّها يهمّكم؟",
    },
    "not_for_subject": {
        "fr": "Je n'ai pas cette information au sujet {subject}.",
        "en": "I do not have this information about {subject}.",
        "ar": "لا تتوفر لديّ هذه المعلومة بخصوص {subject}.",
    },
    "no_information": {
        "fr": "Je n'ai pas cette information.",
        "en": "I do not have this information.",
        "ar": "لا تتوفر لديّ هذه المعلومة.",
    },
    "help_line": {
        "fr": "Je peux vous renseigner sur ces sujets : {topics}. Tapez /sujets pour voir des exemples de questions.",
        "en": "I can inform you on these topics: {topics}. Type /sujets to see example questions.",
        "ar": "يمكنني إفادتكم في المواضيع التالية: {topics}. اكتبوا /sujets لعرض أمثلة على الأسئلة.",
    },
    "clarify_intro": {
        "fr": "Je ne suis pas sûr d'avoir compris. Vouliez-vous dire :",
        "en": "I am not sure I understood. Did you mean:",
        "ar": "لست متأكدًا من أنني فهمت سؤالكم. هل تقصدون:",
    },
    "clarify_outro": {
        "fr": "Tapez le numéro de votre choix, ou reformulez votre question.",
        "en": "Type the number of your choice, or rephrase your question.",
        "ar": "اكتبوا رقم اختياركم، أو أعيدوا صياغة سؤالكم.",
    },
    "see_also": {  # the footer before related questions (Telegram's buttons); `faqbot check` counts it in lengths
        "fr": "Voir aussi :",
        "en": "See also:",
        "ar": "انظر أيضًا:",
    },
    "unofficial": {  # once per conversation, under the first translated answer
        "fr": "",
        "en": ("Please note: this answer is an unofficial translation. "
               "The French text of the Embassy's page is authoritative."),
        "ar": "تنبيه: هذه الإجابة ترجمة غير رسمية، والنص الفرنسي لصفحة السفارة هو المرجع المعتمد.",
    },
    "language_set": {
        "fr": "Entendu : je vous répondrai désormais en français.",
        "en": "Understood: I will answer in English from now on.",
        "ar": "حسنًا: سأجيبكم من الآن فصاعدًا باللغة العربية.",
    },
    "language_auto": {
        "fr": "Entendu : je vous répondrai dans la langue de chaque message.",
        "en": "Understood: I will answer in the language of each message.",
        "ar": "حسنًا: سأجيبكم بلغة كل رسالة.",
    },
    "language_prompt": {
        "fr": "Dans quelle langue souhaitez-vous mes réponses ?",
        "en": "In which language would you like my answers?",
        "ar": "بأي لغة تفضّلون أن أجيبكم؟",
    },
    "language_auto_button": {"fr": "Automatique", "en": "Automatic", "ar": "تلقائي"},
}
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}  # each in its own language
LIST_SEPARATOR = {"fr": ", ", "en": ", ", "ar": "، "}

# A left-to-right run inside Arabic text: Latin words, digits, e-mails, phone numbers, /commands,
# dates; it may hold spaces and . , : / - ' + @ between its letters and digits.
_LTR_RUN_RE = re.compile(r"[/+]?[A-Za-z0-9\u00c0-\u024f](?:[A-Za-z0-9\u00c0-\u024f@._%+\-/:,' ]*"
                         r"[A-Za-z0-9\u00c0-\u024f])?")
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate and its closing mark (Unicode bidi isolates)


def bidi(text: str) -> str:
    """Isolate the left-to-right runs of an Arabic text, so « 45 25 19 76 » is not shown « 76 19 25 45 »."""
    text = text.replace(FSI, "").replace(PDI, "")  # idempotent: runs isolated before are isolated again
    return _LTR_RUN_RE.sub(lambda m: FSI + m.group(0) + PDI, text)


def in_language(text: str, language: str) -> str:
    """Return `text` ready to show in `language`: French typography, or Arabic bidi isolates."""
    if language == "ar":
        return bidi(text)
    return french_typography(text) if language == "fr" else text


def message(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """Return the message `key` in `language` (French when unknown), with `values` filled in."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    texts = CATALOGUE[key]
    return in_language((texts.get(language) or texts[DEFAULT_LANGUAGE]).format(**values), language)


_ACRONYM_RE = re.compile(r"\b[A-Z]{2,}\b")


def subject_name(french: str, alias: str, language: str) -> str:
    """Name a subject in `language` from its first alias there, cased and with its acronym like the French name.

    « le SSI de Nouakchott » and « ssi of nouakchott » give « the SSI of Nouakchott »; « la DCI » and
    « international cooperation directorate » give « the international cooperation directorate (DCI) ».
    Without an alias in that language, the French name.
    """
    if not alias:
        return french
    casing = {word.casefold(): word for word in re.findall(r"\w+", french) if not word.islower()}
    name = re.sub(r"\w+", lambda m: casing.get(m.group(0).casefold(), m.group(0)), alias)
    missing = [a for a in _ACRONYM_RE.findall(french) if a not in name]
    name += "".join(f" ({a})" for a in missing)
    return f"the {name}" if language == "en" and not name.casefold().startswith("the ") else name
