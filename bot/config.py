"""Load config.toml into frozen dataclasses; secrets come only from the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"


class ConfigError(Exception):
    """config.toml is missing, unreadable or holds a wrong value."""


@dataclass(frozen=True)
class Paths:
    knowledge: Path
    intents: Path
    source: Path
    cache: Path
    unanswered_log: Path
    persistence: Path
    evaluation: Path


@dataclass(frozen=True)
class MatcherSettings:
    """Parameters of the IntentMatcher; see bot/matcher.py for their meaning."""

    char_ngram_min: int = 3
    char_ngram_max: int = 5
    word_weight: float = 0.5
    shortlist: int = 20
    tfidf_weight: float = 0.6
    min_feature_idf: float = 2.0
    centroid_weight: float = 0.5
    classifier_weight: float = 0.3
    classifier_c: float = 1.0
    classifier_temperature: float = 0.1


@dataclass(frozen=True)
class DecisionSettings:
    """Thresholds on the 0-1 confidence scale; see bot/engine.py."""

    answer_threshold: float = 0.60
    clarify_threshold: float = 0.40
    margin: float = 0.12
    subject_bonus: float = 0.1
    coverage_weight: float = 0.3
    max_uncovered: float = 0.34
    fuzzy_cover: int = 80
    max_suggestions: int = 3


@dataclass(frozen=True)
class DialogueSettings:
    context_ttl_seconds: float = 600.0


@dataclass(frozen=True)
class MaintenanceSettings:
    target_precision: float = 0.98
    near_duplicate_score: float = 92.0
    min_examples: int = 8
    log_max_bytes: int = 5_000_000
    log_backups: int = 3


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str = "https://api.telegram.org/bot"
    admin_ids: tuple[int, ...] = ()
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret_env: str = "TELEGRAM_WEBHOOK_SECRET"
    flood_messages: int = 5
    flood_seconds: float = 3.0
    startup_retries: int = 10
    contact_answer: str = "nouakchott.coordonnees"
    source_answer: str = "apropos.source"
    hidden_topics: tuple[str, ...] = ("conversation",)


@dataclass(frozen=True)
class Config:
    path: Path
    paths: Paths
    matcher: MatcherSettings = field(default_factory=MatcherSettings)
    decision: DecisionSettings = field(default_factory=DecisionSettings)
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)
    maintenance: MaintenanceSettings = field(default_factory=MaintenanceSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    log_level: str = "WARNING"

    @property
    def telegram_token(self) -> str | None:
        """Return the bot token from the environment (never from the file)."""
        return os.environ.get(TOKEN_ENV) or None


def _section(cls: type, table: dict[str, Any], name: str, path: Path) -> Any:
    """Build dataclass `cls` from a TOML table, rejecting unknown keys and wrong types."""
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{path}: [{name}] unknown key(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        default = getattr(cls(), key) if key in known else None
        if isinstance(default, tuple):
            value = tuple(value)
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and not isinstance(value, type(default)):
            raise ConfigError(f"{path}: [{name}] {key} must be a {type(default).__name__}, got {value!r}")
        values[key] = value
    return cls(**values)


def load_config(path: str | Path | None = None) -> Config:
    """Read config.toml; relative data paths resolve against the config file's folder."""
    path = Path(path or os.environ.get("FAQBOT_CONFIG") or DEFAULT_CONFIG).resolve()
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if "token" in raw.get("telegram", {}):
        raise ConfigError(f"{path}: [telegram] token must not be in the file; set {TOKEN_ENV} instead")
    base = path.parent
    paths_table = raw.get("paths", {})
    required = ("knowledge", "intents", "source", "cache", "unanswered_log", "persistence", "evaluation")
    missing = [k for k in required if k not in paths_table]
    if missing:
        raise ConfigError(f"{path}: [paths] missing key(s): {', '.join(missing)}")
    unknown = sorted(set(paths_table) - set(required))
    if unknown:
        raise ConfigError(f"{path}: [paths] unknown key(s): {', '.join(unknown)}")
    paths = Paths(**{k: (base / str(paths_table[k])).resolve() for k in required})
    return Config(
        path=path,
        paths=paths,
        matcher=_section(MatcherSettings, raw.get("matcher", {}), "matcher", path),
        decision=_section(DecisionSettings, raw.get("decision", {}), "decision", path),
        dialogue=_section(DialogueSettings, raw.get("dialogue", {}), "dialogue", path),
        maintenance=_section(MaintenanceSettings, raw.get("maintenance", {}), "maintenance", path),
        telegram=_section(TelegramSettings, raw.get("telegram", {}), "telegram", path),
        log_level=str(raw.get("logging", {}).get("level", "WARNING")),
    )
