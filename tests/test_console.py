"""The console driven as a real subprocess, as a user would."""

from __future__ import annotations


def test_chat_session(run_faqbot) -> None:
    session = "c koi la dci\nprogramme\n1\n/sujets\n/aide\n/inconnue\n/quit\nnot read\n"
    result = run_faqbot("chat", input=session)
    out = result.stdout
    assert result.returncode == 0
    assert out.startswith("Bonjour\u00a0! Je réponds")
    assert "La DCI (Direction de la coopération internationale)" in out
    assert "Vouliez-vous dire\u00a0:" in out and "  1. " in out
    # The numbered pick answers the first suggestion, not a fallback.
    after_pick = out.split("Tapez le numéro de votre choix")[1]
    assert "Je n'ai pas cette information" not in after_pick.split("Sujets et questions")[0]
    assert "Sujets et questions possibles" in out
    assert "Commande inconnue\u00a0: /inconnue" in out
    assert out.rstrip().endswith("Au revoir\u00a0!")
    assert result.stderr == ""


def test_chat_ends_cleanly_on_end_of_input(run_faqbot) -> None:
    result = run_faqbot("chat", input="bonjour\n")
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith("Au revoir\u00a0!")
    assert "Traceback" not in result.stderr


def test_chat_follow_up_keeps_context(run_faqbot) -> None:
    result = run_faqbot("chat", input="qui dirige le SSI de Nouakchott ?\net son mail ?\n/quit\n")
    assert "tristan.coudert@diplomatie.gouv.fr" in result.stdout


def test_a_fallback_about_a_subject_lists_its_questions(run_faqbot) -> None:
    result = run_faqbot("chat", input="quel est le budget annuel de la DCI ?\n/quit\n")
    out = result.stdout
    assert "Je n'ai pas cette information au sujet de la DCI." in out
    offered = out.split("Voir aussi\u00a0:")[1].split("Au revoir")[0]
    assert 1 <= offered.count("  • ") <= 3 and "DCI" in offered
