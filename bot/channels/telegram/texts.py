"""Every text the Telegram bot shows users: French, "vous", typography applied once here.

Nothing else in the package writes user-facing words, so a translation only has to replace this
module's values. Texts with ``{placeholders}`` are filled with ``str.format``.
"""

from __future__ import annotations

from bot.messages import in_language, message
from bot.text import french_typography

WELCOME = french_typography(
    "Bonjour ! Je réponds à vos questions sur la DCI (Direction de la coopération internationale), "
    "les attachés de sécurité intérieure (ASI) et le service de sécurité intérieure (SSI) de Nouakchott, "
    "d'après une page de l'Ambassade de France en Mauritanie du 05/11/2015.\n\n"
    "Écrivez votre question avec vos propres mots, ou choisissez un sujet ci-dessous."
)
HELP = french_typography(
    "Comment m'utiliser :\n"
    "• Écrivez votre question en français, même sans accents ou avec des fautes, par exemple "
    "« Qui dirige le SSI de Nouakchott ? », puis « Et son mail ? ».\n"
    "• Quand je ne suis pas sûr d'avoir compris, je vous propose des questions : touchez la bonne.\n"
    "• Dans un groupe, mentionnez-moi (@{username}) ou répondez à l'un de mes messages.\n"
    "• Dans n'importe quelle discussion, tapez @{username} suivi de votre question.\n\n"
    "Commandes :\n"
    "/sujets – parcourir les sujets et leurs questions\n"
    "/contact – les coordonnées du SSI de Nouakchott\n"
    "/source – d'où viennent ces informations, et leur date\n"
    "/aide – ce message"
)
TOPICS_PROMPT = french_typography("Choisissez un sujet :")
TOPIC_PROMPT = french_typography("Choisissez une question :")
BACK_TO_TOPICS = "← Tous les sujets"
BACK_TO_QUESTIONS = "← Retour aux questions"
NONE_OF_THESE = "Aucune de ces questions"
# With buttons, a clarify shows no numbered list (typing a number still works, the engine knows it).
CLARIFY_TEXT = french_typography("Je ne suis pas sûr d'avoir compris. Vouliez-vous dire :\n"
                                 "Touchez la bonne question ci-dessous, ou reformulez la vôtre.")
SEE_ALSO = message("see_also")  # shared with `faqbot check`, which counts it in an answer's length
NON_TEXT = french_typography(
    "Je ne comprends que les questions écrites. Posez-moi votre question dans un message texte, s'il vous plaît."
)
UNKNOWN_COMMAND = "Je ne connais pas cette commande. Tapez /aide pour voir ce que je sais faire."
ADMIN_ONLY = "Cette commande est réservée aux administrateurs du bot."
PRIVATE_ONLY = french_typography("Cette commande ne s'utilise qu'en message privé : écrivez-moi directement.")
# The short notice on the pressed button; the message then shows the current topics (STALE_MENU).
STALE_BUTTON = "Ce bouton n'est plus valable."
STALE_MENU = french_typography("Ce bouton n'est plus valable : les sujets ont changé. Choisissez un sujet :")
NOT_AVAILABLE = "Cette information n'est pas disponible pour le moment."
FLOOD = french_typography("Vous envoyez beaucoup de messages à la suite. Un instant, s'il vous plaît : je réponds "
                          "à chacun, dans l'ordre.")
ERROR = "Désolé, un problème technique m'a empêché de vous répondre. Réessayez dans un instant, s'il vous plaît."
RELOAD_OK = french_typography("Données rechargées : {intents} questions dans {topics} sujets.")
RELOAD_REFUSED = french_typography("Rechargement refusé : les données actuelles restent en service. "
                                   "{count} problème(s) à corriger (voir faqbot check) :")
RELOAD_MORE = french_typography("… et {count} autre(s).")
STATS_TEXT = french_typography(
    "Statistiques depuis le {since} :\n"
    "• questions reçues : {total}\n"
    "• réponses données : {answered} ({answered_share})\n"
    "• demandes de précision : {clarify} ({clarify_share})\n"
    "• sans réponse : {fallback} ({fallback_share})\n"
    "Bot démarré le {started}."
)
DATE_FORMAT = "%d/%m/%Y à %H:%M"
PERCENT = "{value}\u00a0%"
INLINE_START = "Poser ma question au bot"

# The command menu: (command, description); Telegram shows the description next to the command.
PUBLIC_COMMANDS = (
    ("start", "Accueil et sujets"),
    ("sujets", "Parcourir les sujets et leurs questions"),
    ("contact", "Coordonnées du SSI de Nouakchott"),
    ("source", "D'où viennent ces informations"),
    ("aide", "Comment poser vos questions"),
    ("langue", "Langue des réponses – Language – اللغة"),
)
ADMIN_COMMANDS = (
    ("reload", "Recharger les données (administrateurs)"),
    ("stats", "Statistiques des questions (administrateurs)"),
)


# -- English and Arabic: the French texts above, by name; `text(name, language)` picks one ---------
TRANSLATIONS: dict[str, dict[str, str]] = {
    "en": {
        "WELCOME": ("Hello! I answer your questions about the DCI (Directorate for International Cooperation), "
                    "the internal security attachés (ASI) and the internal security service (SSI) of Nouakchott, "
                    "based on a page of the French Embassy in Mauritania dated 05/11/2015.\n\n"
                    "Write your question in your own words, or choose a topic below. /langue changes the language."),
        "HELP": ("How to use me:\n"
                 "• Write your question in English, French or Arabic, even with typos, for example "
                 "“Who heads the SSI of Nouakchott?”, then “And his email?”.\n"
                 "• When I am not sure I understood, I suggest questions: tap the right one.\n"
                 "• In a group, mention me (@{username}) or reply to one of my messages.\n"
                 "• In any chat, type @{username} followed by your question.\n\n"
                 "Commands:\n"
                 "/sujets – browse the topics and their questions\n"
                 "/contact – the contact details of the SSI of Nouakchott\n"
                 "/source – where this information comes from, and its date\n"
                 "/langue – the language of my answers\n"
                 "/aide – this message"),
        "TOPICS_PROMPT": "Choose a topic:",
        "TOPIC_PROMPT": "Choose a question:",
        "BACK_TO_TOPICS": "← All topics",
        "BACK_TO_QUESTIONS": "← Back to the questions",
        "NONE_OF_THESE": "None of these questions",
        "CLARIFY_TEXT": "I am not sure I understood. Did you mean:\nTap the right question below, or rephrase yours.",
        "NON_TEXT": "I only understand written questions. Please send me your question as a text message.",
        "UNKNOWN_COMMAND": "I do not know this command. Type /aide to see what I can do.",
        "STALE_BUTTON": "This button is no longer valid.",
        "STALE_MENU": "This button is no longer valid: the topics have changed. Choose a topic:",
        "NOT_AVAILABLE": "This information is not available at the moment.",
        "FLOOD": "You are sending many messages in a row. One moment, please: I answer each of them, in order.",
        "ERROR": "Sorry, a technical problem prevented me from answering. Please try again in a moment.",
        "INLINE_START": "Ask the bot my question",
    },
    "ar": {
        "WELCOME": ("مرحبًا! أجيب عن أسئلتكم حول مديرية التعاون الدولي (DCI) وملحقي الأمن الداخلي (ASI) "
                    "ومصلحة الأمن الداخلي (SSI) في نواكشوط، استنادًا إلى صفحة لسفارة فرنسا في موريتانيا "
                    "بتاريخ 05/11/2015.\n\n"
                    "اكتبوا سؤالكم بكلماتكم الخاصة، أو اختاروا موضوعًا أدناه. الأمر /langue يغيّر اللغة."),
        "HELP": ("طريقة الاستخدام:\n"
                 "• اكتبوا سؤالكم بالعربية أو الفرنسية أو الإنجليزية، ولو مع أخطاء إملائية، مثلًا "
                 "«من يرأس مصلحة الأمن الداخلي في نواكشوط؟» ثم «وبريده الإلكتروني؟».\n"
                 "• إذا لم أكن متأكدًا من أنني فهمت، أقترح عليكم أسئلة: اضغطوا على السؤال المناسب.\n"
                 "• في مجموعة، اذكروني (@{username}) أو ردّوا على إحدى رسائلي.\n"
                 "• في أي محادثة، اكتبوا @{username} متبوعًا بسؤالكم.\n\n"
                 "الأوامر:\n"
                 "/sujets – تصفّح المواضيع وأسئلتها\n"
                 "/contact – بيانات الاتصال بمصلحة الأمن الداخلي في نواكشوط\n"
                 "/source – مصدر هذه المعلومات وتاريخها\n"
                 "/langue – لغة الإجابات\n"
                 "/aide – هذه الرسالة"),
        "TOPICS_PROMPT": "اختاروا موضوعًا:",
        "TOPIC_PROMPT": "اختاروا سؤالًا:",
        "BACK_TO_TOPICS": "→ كل المواضيع",
        "BACK_TO_QUESTIONS": "→ العودة إلى الأسئلة",
        "NONE_OF_THESE": "لا شيء من هذه الأسئلة",
        "CLARIFY_TEXT": ("لست متأكدًا من أنني فهمت سؤالكم. هل تقصدون:\n"
                         "اضغطوا على السؤال المناسب أدناه، أو أعيدوا صياغة سؤالكم."),
        "NON_TEXT": "لا أفهم إلا الأسئلة المكتوبة. يُرجى إرسال سؤالكم في رسالة نصية.",
        "UNKNOWN_COMMAND": "لا أعرف هذا الأمر. اكتبوا /aide لمعرفة ما يمكنني فعله.",
        "STALE_BUTTON": "هذا الزر لم يعد صالحًا.",
        "STALE_MENU": "هذا الزر لم يعد صالحًا: تغيّرت المواضيع. اختاروا موضوعًا:",
        "NOT_AVAILABLE": "هذه المعلومة غير متاحة حاليًا.",
        "FLOOD": "ترسلون رسائل كثيرة متتالية. لحظة من فضلكم: سأجيب عن كل منها بالترتيب.",
        "ERROR": "عذرًا، حالت مشكلة تقنية دون الإجابة. يُرجى المحاولة مجددًا بعد قليل.",
        "INLINE_START": "طرح سؤالي على البوت",
    },
}


def text(name: str, language: str) -> str:
    """Return the text `name` of this module in `language` (French when it has no translation)."""
    translated = TRANSLATIONS.get(language, {}).get(name)
    if translated is None:
        return globals()[name]
    return in_language(translated, language)
