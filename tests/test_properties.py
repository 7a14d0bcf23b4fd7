"""Property-based tests: whatever a user types, the engine answers with a valid reply."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.dialogue import Conversation
from bot.engine import ANSWERED, CLARIFY, FALLBACK, Engine
from bot.text import normalize

EXAMPLES = 2000
# Any Unicode (control characters, RTL marks, zero-width, emoji, combining marks), short or huge.
any_text = st.one_of(
    st.text(max_size=200),
    # Long inputs (up to 100,000 characters) built by repeating a random chunk: cheap to generate.
    st.tuples(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
              st.integers(min_value=20, max_value=2000)).map(lambda chunk_times: chunk_times[0] * chunk_times[1]),
    st.text(alphabet=st.sampled_from("\u200b\u200e\u200f\u202e\u0301\u0327\ufeff\t\r\n\x00\x07 eé?!'’"), max_size=500),
    # Very long words, also built by repetition.
    st.tuples(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç", min_size=1, max_size=10),
              st.integers(min_value=30, max_value=3000)).map(lambda chunk_times: chunk_times[0] * chunk_times[1]),
    st.lists(st.sampled_from(["dci", "c koi", "ssi", "l'", "?", "😀", "مرحبا", "<b>", "&amp;", "1", "et son mail"]),
             max_size=40).map(" ".join),
)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=any_text)
def test_engine_always_gives_a_valid_reply(engine: Engine, text: str) -> None:
    reply = engine.reply(text, Conversation(), channel="test")
    assert reply.status in {ANSWERED, CLARIFY, FALLBACK}
    assert isinstance(reply.text, str)
    # Every reply has words, but a clarify offering choices: each channel words that offer from its suggestions.
    assert reply.text.strip() or (reply.status == CLARIFY and reply.suggestions)
    assert 0.0 <= reply.confidence <= 1.0
    assert (reply.intent is not None) == (reply.status == ANSWERED)
    assert len(reply.suggestions) <= engine.config.decision.max_suggestions


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=st.text(max_size=300))
@example(text="کÀ")  # an Arabic letter before an accented Latin one: cut off only once accents were stripped
def test_normalize_is_idempotent_ascii_lowercase(text: str) -> None:
    """The normal form is lowercase ASCII letters and digits, or folded Arabic letters (U+0621-U+064A)."""
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.lower()
    assert all(c.isascii() or "\u0621" <= c <= "\u064a" for c in once)
