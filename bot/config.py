"""Load config.toml into frozen dataclasses; secrets come only from the environment."""

from __future__ import annotations

import difflib
import inspect
import math
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, make_dataclass
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


def _matcher_settings() -> type:
    """Build MatcherSettings from IntentMatcher's signature: the matcher's defaults are the one source."""
    from bot.matcher import IntentMatcher

    parameters = inspect.signature(IntentMatcher.__init__).parameters
    spec = [(name, type(p.default), p.default) for name, p in parameters.items() if name != "self"]
    cls = make_dataclass("MatcherSettings", spec, frozen=True)
    cls.__doc__ = "Parameters of the IntentMatcher; see bot/matcher.py for their meaning."
    return cls


MatcherSettings = _matcher_settings()


@dataclass(frozen=True)
class TextSettings:
    language: str = "fr"  # the language of the data's reference texts: "fr" or "en" (see bot/text.py)


@dataclass(frozen=True)
class DecisionSettings:
    """How the engine decides; see bot/decision.py and bot/calibration.py."""

    target_precision: float = 0.97  # the answer threshold is learned to reach this out-of-fold precision
    clarify_threshold: float = 0.20  # probability of being right above which choices are offered
    clarify_spread: float = 0.15  # runner-ups ranked this close to the best are offered with it
    calibration_folds: int = 3  # folds of the out-of-fold questions the decision is learned from
    calibration_rows: int = 3000  # at most this many of them are ranked (a seeded sample)
    subject_bonus: float = 0.1
    coverage_weight: float = 0.3
    max_uncovered: float = 0.34
    veto_margin: float = 0.05  # cross-validated gain that loosens the guard's share veto (see calibration)
    max_suggestions: int = 3


@dataclass(frozen=True)
class DialogueSettings:
    context_ttl_seconds: float = 600.0
    small_talk_topics: tuple[str, ...] = ("conversation",)  # topics of greetings and thanks, not of the page
    help_line_hidden_topics: tuple[str, ...] = ("conversation", "a-propos")  # not named by the fallback's help line


@dataclass(frozen=True)
class MaintenanceSettings:
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
    auth_retries: int = 5
    max_messages_per_second: float = 30.0
    pending_max_age: float = 3600.0
    drain_seconds: float = 20.0
    webhook_max_bytes: int = 1_000_000
    contact_answer: str = "nouakchott.coordonnees"
    source_answer: str = "apropos.source"
    hidden_topics: tuple[str, ...] = ("conversation",)


@dataclass(frozen=True)
class Config:
    path: Path
    paths: Paths
    text: TextSettings = field(default_factory=TextSettings)
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


def _sections() -> dict[str, type]:
    """Return the settings sections of config.toml ([matcher], [decision]...) with their dataclass."""
    sections = {}
    for f in fields(Config):
        factory = f.default_factory
        if factory is not MISSING and is_dataclass(factory):
            sections[f.name] = factory
    return sections


_FIXED_SECTIONS = ("paths", "logging")
_PATH_KEYS = tuple(f.name for f in fields(Paths))
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TEXT_LANGUAGES = ("fr", "en")  # the normalisations bot/text.py has
# Generic rules on the values, by key name; a rule naming a key that does not exist is ignored.
_SHARE_RE = re.compile(r"(_threshold|_weight|_precision|_spread|_bonus|^margin|^max_uncovered)$")  # 0-1
_PERCENT_KEYS = {"near_duplicate_score"}  # rapidfuzz scores, 0-100
_POSITIVE = {"matcher.char_ngram_min", "matcher.shortlist", "matcher.classifier_c", "matcher.classifier_temperature",
             "decision.max_suggestions", "decision.calibration_folds", "decision.calibration_rows",
             "dialogue.context_ttl_seconds",
             "maintenance.min_examples", "maintenance.log_max_bytes", "telegram.flood_messages",
             "telegram.flood_seconds"}
_RANGES = {"decision.calibration_folds": (2, None), "telegram.webhook_port": (1, 65535),
           "telegram.startup_retries": (-1, None),
           "telegram.auth_retries": (-1, None)}
_ORDERINGS = (("matcher.char_ngram_min", "matcher.char_ngram_max"),)


def _unknown(path: Path, where: str, key: str, known: Iterable[str], what: str) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(known)}"
    return f"{path}: {where}: unknown {what}; {hint}"


def _value(path: Path, name: str, default: Any, value: Any) -> tuple[Any, str | None]:
    """Convert one TOML value to the type of its default; return (value, problem or None)."""
    if isinstance(default, tuple) and isinstance(value, list):
        value = tuple(value)
    elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, type(default)) or (isinstance(default, int) and isinstance(value, bool)
                                                 and not isinstance(default, bool)):
        return value, f"{path}: {name}: must be {_kind(default)}, got {value!r}"
    return value, _range_problem(path, name, value)


def _kind(default: Any) -> str:
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string", tuple: "a list"}
    return names.get(type(default), f"a {type(default).__name__}")


def _range_problem(path: Path, name: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path}: {name}: must be a finite number, got {value!r}"
    key = name.split(".", 1)[1]
    low, high = _RANGES.get(name, (0, None))
    if _SHARE_RE.search(key):
        low, high = 0, 1
    elif key in _PERCENT_KEYS:
        low, high = 0, 100
    if name in _POSITIVE and value <= 0:
        return f"{path}: {name}: must be above 0, got {value!r}"
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"{low} or more"
        return f"{path}: {name}: must be {bound}, got {value!r}"
    return None


def _section(cls: type, table: Any, name: str, path: Path, problems: list[str]) -> Any:
    """Build dataclass `cls` from a TOML table; append a line to `problems` for each wrong key or value."""
    if not isinstance(table, dict):
        problems.append(f"{path}: {name}: must be a table ([{name}]), got {table!r}")
        return cls()
    defaults = cls()
    known = [f.name for f in fields(cls)]
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            problems.append(_unknown(path, f"{name}.{key}", key, known, f"key in [{name}]"))
            continue
        value, problem = _value(path, f"{name}.{key}", getattr(defaults, key), value)
        if problem:
            problems.append(problem)
        else:
            values[key] = value
    return cls(**values)


def _paths(raw: dict[str, Any], path: Path, problems: list[str]) -> Paths:
    table = raw.get("paths", {})
    if not isinstance(table, dict):
        table = {}
    for key in _PATH_KEYS:
        if key not in table:
            problems.append(f"{path}: paths.{key}: missing; give the path of this file or folder")
        elif not isinstance(table[key], str) or not table[key]:
            problems.append(f"{path}: paths.{key}: must be a non-empty string, got {table[key]!r}")
    for key in table:
        if key not in _PATH_KEYS:
            problems.append(_unknown(path, f"paths.{key}", key, _PATH_KEYS, "key in [paths]"))
    return Paths(**{k: (path.parent / str(table.get(k, ""))).resolve() for k in _PATH_KEYS})


def _log_level(raw: dict[str, Any], path: Path, problems: list[str]) -> str:
    table = raw.get("logging", {})
    table = table if isinstance(table, dict) else {}
    for key in table:
        if key != "level":
            problems.append(_unknown(path, f"logging.{key}", key, ["level"], "key in [logging]"))
    level = table.get("level", "WARNING")
    if not isinstance(level, str) or level.upper() not in LOG_LEVELS:
        problems.append(f"{path}: logging.level: must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        return "WARNING"
    return level.upper()


def _orderings(config: Config, path: Path) -> list[str]:
    """Return a line for each pair of settings in the wrong order (a missing setting is skipped)."""
    problems = []
    for low, high in _ORDERINGS:
        values = []
        for name in (low, high):
            section, key = name.split(".")
            values.append(getattr(getattr(config, section, None), key, None))
        if None not in values and values[0] > values[1]:
            problems.append(f"{path}: {low}: must not exceed {high} ({values[0]!r} > {values[1]!r})")
    return problems


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        hint = ""
        if path == DEFAULT_CONFIG:
            hint = ("; pass --config PATH or set FAQBOT_CONFIG (a non-editable install, `pip install .`, has no "
                    "config.toml next to the code: install with `pip install -e .` from the checkout)")
        raise ConfigError(f"{path}: configuration file not found{hint}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate config.toml; relative data paths resolve against the config file's folder.

    Every problem is reported at once, one `path: section.key: problem` line each (ConfigError).
    """
    path = Path(path or os.environ.get("FAQBOT_CONFIG") or DEFAULT_CONFIG).resolve()
    raw = _read(path)
    if isinstance(raw.get("telegram"), dict) and "token" in raw["telegram"]:
        raise ConfigError(f"{path}: telegram.token: must not be in the file; set {TOKEN_ENV} instead")
    problems: list[str] = []
    sections = _sections()
    for name in raw:
        if name not in sections and name not in _FIXED_SECTIONS:
            problems.append(_unknown(path, name, name, [*_FIXED_SECTIONS, *sections], f"section [{name}]"))
    paths = _paths(raw, path, problems)
    settings = {name: _section(cls, raw.get(name, {}), name, path, problems) for name, cls in sections.items()}
    config = Config(path=path, paths=paths, log_level=_log_level(raw, path, problems), **settings)
    problems += _orderings(config, path)
    if config.text.language not in TEXT_LANGUAGES:
        problems.append(f"{path}: text.language: must be one of {', '.join(TEXT_LANGUAGES)}, "
                        f"got {config.text.language!r}")
    if problems:
        raise ConfigError("\n".join(problems))
    return config
