"""The fitted index: the data it is fitted on, its cache key (a digest of what it depends on), load-or-fit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from bot.matcher import INDEX_FORMAT, OUT_OF_SCOPE, IntentMatcher
from bot.writable import warn_unwritable

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase


def training_data(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """Return the normalised examples of every intent and of the out-of-scope class, with their labels."""
    texts: list[str] = []
    labels: list[str] = []
    pairs = [(intent_id, example) for intent_id in sorted(kb.intents) for example in kb.intents[intent_id].examples]
    for label, example in pairs + [(OUT_OF_SCOPE, q) for q in kb.out_of_scope]:
        normalized = kb.normalize(example)
        if normalized.strip():
            texts.append(normalized)
            labels.append(label)
    return texts, labels


def index_key(kb: KnowledgeBase, params: dict[str, float | int]) -> str:
    """Return a digest of everything the fitted index depends on."""
    digest = hashlib.sha256(json.dumps([INDEX_FORMAT, params], sort_keys=True).encode())
    # the code that chooses the training data, fits and normalises
    for module in ("index_cache.py", "matcher.py", "features.py", "text.py", "language.py"):
        digest.update(Path(__file__).with_name(module).read_bytes())
    for intent_id in sorted(kb.intents):
        digest.update(json.dumps([intent_id, kb.intents[intent_id].examples]).encode())
    digest.update(json.dumps(kb.out_of_scope).encode())
    digest.update(json.dumps(kb.acronyms, sort_keys=True).encode())
    lexicon = {k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in vars(kb.lexicon).items()}
    digest.update(repr(sorted(lexicon.items())).encode())  # a set's repr changes with each process's hash seed
    return digest.hexdigest()[:20]


def fit_cached(kb: KnowledgeBase, params: dict[str, float | int], cache_dir: Path | None) -> IntentMatcher:
    """Load the index for this data from `cache_dir`, or fit it and store it there."""
    path = cache_dir / f"index-{index_key(kb, params)}.npz" if cache_dir else None
    if path is not None and path.exists():
        try:
            return IntentMatcher.load(path)
        except (OSError, ValueError, KeyError):
            pass  # a stale or damaged cache is rebuilt below
    matcher = IntentMatcher(**params).fit(*training_data(kb))  # type: ignore[arg-type]
    if path is not None:
        try:
            matcher.save(path)
            for old in path.parent.glob("index-*.npz"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:  # a read-only install still works, it just refits at start-up
            warn_unwritable("index cache", path, exc, "every start rebuilds the index (a few seconds)")
    return matcher
