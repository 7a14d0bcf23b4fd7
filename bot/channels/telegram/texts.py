"""Every text the Telegram bot shows users: French, "vous", typography applied once here.

Nothing else in the package writes user-facing words, so a translation only has to replace this
module's values. Texts with ``{placeholders}`` are filled with ``str.format``.
"""

from __future__ import annotations

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
SEE_ALSO = french_typography("Voir aussi :")
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
)
ADMIN_COMMANDS = (
    ("reload", "Recharger les données (administrateurs)"),
    ("stats", "Statistiques des questions (administrateurs)"),
)
