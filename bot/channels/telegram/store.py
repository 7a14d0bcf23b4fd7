"""The bot's durable state in one SQLite file (standard library sqlite3, WAL, synchronous commits).

- ``inbox``: every update, recorded before Telegram is told it was received (the next getUpdates
  offset, or the webhook's 200), marked done once handled. At start the pending ones are handled;
  an update_id already recorded is never handled twice. The text of a handled update is erased.
- ``chats``: each chat's `Conversation` (as the JSON of its fields, whatever they are) and the last
  question a clarify offered choices for.
- ``stats``: the /stats counters.

Rows are checked one by one when read: a bad row is logged (ids only), dropped and never fatal.
A file that is not such a database is kept aside as ``<name>.unreadable-<time>``. The Telegram
front end used to keep the same state in a pickle (``telegram.pickle`` beside the database): it is
migrated once with an unpickler that builds nothing but plain containers and `Conversation`
(no other class, function or persistent id), then renamed ``telegram.pickle.migrated-<time>``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import os
import pickle
import sqlite3
import stat
import time
import types
import typing
from pathlib import Path
from typing import Any

from bot.dialogue import Conversation
from bot.engine import ANSWERED, CLARIFY, FALLBACK

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1  # of the SQLite tables (PRAGMA user_version)
STATUSES = (ANSWERED, CLARIFY, FALLBACK)
KEEP_HANDLED_SECONDS = 2 * 86400  # Telegram re-sends an unconfirmed update for 24 h: remember ids twice as long
MAX_ATTEMPTS = 5  # an update still pending after this many starts is given up (it may be what kills the bot)
LEGACY_PICKLE = "telegram.pickle"
LEGACY_MAX_BYTES = 64 * 2**20  # a larger legacy pickle is not read
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    update_id INTEGER PRIMARY KEY,
    received REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'skipped', 'expired', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    body TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (state) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS chats (
    chat_id INTEGER PRIMARY KEY,
    conversation TEXT NOT NULL,
    last_question TEXT NOT NULL,
    updated REAL NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value REAL NOT NULL) STRICT;
"""


class StoreError(Exception):
    """The database cannot be used at all (a symbolic link, a folder that cannot be created...)."""


@dataclasses.dataclass
class ChatState:
    """What the bot remembers about one chat."""

    conversation: Conversation = dataclasses.field(default_factory=Conversation)
    last_question: str = ""  # the question the last clarify offered choices for ("none of these" logs it)


# -- typed (de)serialisation of dataclasses ------------------------------------------------------
def _typed(value: Any, hint: Any) -> Any:
    """Return `value` (decoded JSON) as type `hint`, or raise ValueError."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            with contextlib.suppress(ValueError):
                return _typed(value, arg)
        raise ValueError(f"{value!r} is none of {args}")
    if hint is float and type(value) in (int, float):
        return float(value)
    if hint in (str, int, bool) and type(value) is hint:
        return value
    if origin in (tuple, list) and isinstance(value, list):
        item = args[0] if args else Any
        return origin(_typed(v, item) for v in value)
    if origin is dict and isinstance(value, dict):
        return {_typed(k, args[0]): _typed(v, args[1]) for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type) and isinstance(value, dict):
        return from_fields(hint, value)
    if hint is Any and isinstance(value, str | int | float | bool | type(None)):
        return value
    raise ValueError(f"{value!r} is not a {hint}")


def from_fields(cls: type, data: dict[str, Any]) -> Any:
    """Build dataclass `cls` from a dict of its fields, checking each type; missing fields keep their default.

    Unknown keys (a field since removed) are ignored, so state written by another version still loads.
    """
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _typed(data[f.name], hints[f.name]) for f in dataclasses.fields(cls) if f.name in data})


def conversation_json(conversation: Conversation) -> str:
    return json.dumps(dataclasses.asdict(conversation))  # ASCII escapes: even a lone surrogate is stored


def conversation_from_json(text: str) -> Conversation:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return from_fields(Conversation, data)


def _new_stats(now: float) -> dict[str, float]:
    return {"since": now, **dict.fromkeys(STATUSES, 0)}


# -- the legacy pickle -----------------------------------------------------------------------------
class _PlainUnpickler(pickle.Unpickler):
    """Build only plain containers and Conversation: no other class, function or persistent id."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (Conversation.__module__, Conversation.__name__):
            return Conversation
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed")


def read_legacy_pickle(path: Path) -> tuple[dict[int, ChatState], dict[str, float]]:
    """Read the old PicklePersistence file: chats' state and the stats. Raise ValueError if unusable."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)  # a symbolic link is refused
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > LEGACY_MAX_BYTES:
            raise ValueError("not a regular file of a sensible size")
        try:
            data = _PlainUnpickler(io.BytesIO(fh.read())).load()
        except Exception as exc:  # every unpickling failure: truncated, foreign classes, garbage
            raise ValueError(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("not a PicklePersistence file")
    chats: dict[int, ChatState] = {}
    chat_data = data.get("chat_data") or {}
    for chat_id, values in chat_data.items() if isinstance(chat_data, dict) else ():
        try:
            if type(chat_id) is not int or not isinstance(values, dict):
                raise ValueError("not a chat")
            conversation = values.get("conversation", Conversation())
            if not isinstance(conversation, Conversation):
                raise ValueError("not a conversation")
            state = ChatState(conversation_from_json(json.dumps(conversation.__dict__)),
                              _typed(values.get("last_question", ""), str))
        except (ValueError, TypeError) as exc:
            log.warning("Legacy chat %s dropped: %s", chat_id if type(chat_id) is int else "?", exc)
            continue
        chats[chat_id] = state
    stats = (data.get("bot_data") or {}).get("stats") if isinstance(data.get("bot_data"), dict) else None
    try:
        counters = {k: _typed(stats[k], float) for k in ("since", *STATUSES)} if isinstance(stats, dict) else None
    except (KeyError, ValueError):
        counters = None
    if counters is None or any(v < 0 for v in counters.values()):
        counters = {}
    return chats, counters


# -- the store -------------------------------------------------------------------------------------
class Store:
    """The SQLite file: inbox, chats and stats. Used from the event loop only (one connection)."""

    def __init__(self, path: Path, clock: typing.Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self.db: sqlite3.Connection | None = None
        self.stats: dict[str, float] = {}
        self._chats: dict[int, ChatState] = {}
        self._sync = True

    # -- opening -------------------------------------------------------------------------------
    def open(self) -> None:
        """Open (or create) the database, check its rows, migrate a legacy pickle once."""
        if self.path.is_symlink():
            raise StoreError(f"{self.path} is a symbolic link: refusing to write through it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connect()
        except sqlite3.DatabaseError as exc:
            self._keep_aside(exc)
            self._connect()
        self._load_stats()
        self._prune()
        self._migrate_pickle()

    def _connect(self) -> None:
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        self.path.chmod(0o600)  # user data: owner only, whatever the umask (SQLite gives -wal/-shm the same mode)
        db = sqlite3.connect(self.path, isolation_level=None)  # autocommit; transactions are explicit
        try:
            if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                raise sqlite3.DatabaseError("cannot use write-ahead logging")
            db.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns (see _transaction)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"written by a newer version (schema {version})")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("SELECT update_id, received, state, attempts, body FROM inbox LIMIT 1").fetchall()
            db.execute("SELECT chat_id, conversation, last_question, updated FROM chats LIMIT 1").fetchall()
            db.execute("SELECT name, value FROM stats LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            db.close()
            raise
        self.db = db
        self._sync = True

    def _keep_aside(self, exc: Exception) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = self.path.with_name(f"{self.path.name}.unreadable-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{kept}{suffix}")
        log.warning("Could not use %s (%s): kept it as %s and started with an empty state", self.path, exc, kept.name)

    def _load_stats(self) -> None:
        stats = _new_stats(self.clock())
        for name, value in self._sql("SELECT name, value FROM stats"):
            if name in stats and type(value) in (int, float) and value >= 0:
                stats[name] = float(value) if name == "since" else int(value)
            else:
                log.warning("Stats row %r dropped: not a known counter", name if isinstance(name, str) else "?")
                self._sql("DELETE FROM stats WHERE name = ?", (name,))
        self.stats = stats
        self._save_stats()

    def _prune(self) -> None:
        """Forget handled updates after KEEP_HANDLED_SECONDS (the newest id stays: the polling offset)."""
        self._sql("DELETE FROM inbox WHERE state != 'pending' AND received < ? "
                  "AND update_id < (SELECT MAX(update_id) FROM inbox)", (self.clock() - KEEP_HANDLED_SECONDS,))

    def _migrate_pickle(self) -> None:
        legacy = self.path.with_name(LEGACY_PICKLE)
        if not legacy.exists() and not legacy.is_symlink():
            return
        stamp = time.strftime("%Y%m%d-%H%M%S")
        try:
            chats, stats = read_legacy_pickle(legacy)
        except (OSError, ValueError) as exc:
            kept = legacy.with_name(f"{legacy.name}.unreadable-{stamp}")
            os.replace(legacy, kept)
            log.warning("Could not read %s (%s): kept it as %s; conversations start empty", legacy, exc, kept.name)
            return
        with self._transaction():
            for chat_id, state in chats.items():
                self._save_chat(chat_id, state)
            if stats:
                for status in STATUSES:
                    self.stats[status] += int(stats[status])
                self.stats["since"] = min(self.stats["since"], stats["since"])
                self._save_stats()
        kept = legacy.with_name(f"{legacy.name}.migrated-{stamp}")
        os.replace(legacy, kept)
        log.warning("Migrated %d conversation(s) and the stats from %s (kept as %s)", len(chats), legacy, kept.name)

    def close(self) -> None:
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
            self.db = None

    # -- inbox ---------------------------------------------------------------------------------
    def record(self, updates: list[tuple[int, str]]) -> list[int]:
        """Record updates (id, JSON text) as pending, in one commit; return the ids not seen before."""
        new = []
        with self._transaction():
            now = self.clock()
            for update_id, body in updates:
                cursor = self._sql("INSERT OR IGNORE INTO inbox (update_id, received, state, body) "
                                   "VALUES (?, ?, 'pending', ?)", (update_id, now, body))
                if cursor.rowcount:
                    new.append(update_id)
        return new

    def next_offset(self) -> int | None:
        """The getUpdates offset confirming every update recorded (None before the first one)."""
        (top,) = self._sql("SELECT MAX(update_id) FROM inbox").fetchone()
        return top + 1 if top is not None else None

    def pending(self, max_age: float) -> list[tuple[int, str]]:
        """Return the updates to handle at start, oldest first; expire those older than `max_age` seconds.

        Each call counts one attempt: an update still pending after MAX_ATTEMPTS starts is given up.
        """
        with self._transaction():
            too_old = self._sql("UPDATE inbox SET state = 'expired', body = NULL "
                                "WHERE state = 'pending' AND received < ?", (self.clock() - max_age,)).rowcount
            failed = self._sql("UPDATE inbox SET state = 'failed', body = NULL "
                               "WHERE state = 'pending' AND attempts >= ?", (MAX_ATTEMPTS,)).rowcount
            self._sql("UPDATE inbox SET attempts = attempts + 1 WHERE state = 'pending'")
            rows = self._sql("SELECT update_id, body FROM inbox WHERE state = 'pending' ORDER BY update_id").fetchall()
        if too_old:
            log.warning("%d pending update(s) older than %.0f s expired unanswered", too_old, max_age)
        if failed:
            log.error("%d update(s) given up after %d starts that did not finish them", failed, MAX_ATTEMPTS)
        good = []
        for update_id, body in rows:
            if type(update_id) is int and isinstance(body, str):
                good.append((update_id, body))
            else:
                self.skip(update_id, "no content")
        return good

    def finish(self, update_id: int, chat_id: int | None) -> None:
        """Mark an update handled, with the chat's state and the stats, in one commit.

        Written at once, but not synced to the disk before the next `record` (which syncs it too): a
        power cut could repeat an answer, never lose an update, and answers need no fsync each.
        """
        with self._transaction(sync=False):
            self._sql("UPDATE inbox SET state = 'done', body = NULL WHERE update_id = ?", (update_id,))
            if chat_id is not None and chat_id in self._chats:
                self._save_chat(chat_id, self._chats[chat_id])
            self._save_stats()

    def skip(self, update_id: int, reason: str) -> None:
        """Give up an update that cannot be handled (logged by the caller)."""
        self._sql("UPDATE inbox SET state = 'skipped', body = NULL WHERE update_id = ?", (update_id,))

    # -- chats and stats -------------------------------------------------------------------------
    def chat(self, chat_id: int) -> ChatState:
        """The state of `chat_id`, read once from the database and kept until `release`."""
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = self._read_chat(chat_id)
        return state

    def release(self, chat_id: int) -> None:
        """Forget the in-memory copy of an idle chat (it was saved by `finish`)."""
        self._chats.pop(chat_id, None)

    def _read_chat(self, chat_id: int) -> ChatState:
        row = self._sql("SELECT conversation, last_question FROM chats WHERE chat_id = ?", (chat_id,)).fetchone()
        if row is None:
            return ChatState()
        try:
            return ChatState(conversation_from_json(row[0]), _typed(row[1], str))
        except (ValueError, TypeError) as exc:
            log.warning("Stored state of chat %d dropped: %s", chat_id, type(exc).__name__)
            self._sql("DELETE FROM chats WHERE chat_id = ?", (chat_id,))
            return ChatState()

    def _save_chat(self, chat_id: int, state: ChatState) -> None:
        self._sql("INSERT OR REPLACE INTO chats (chat_id, conversation, last_question, updated) VALUES (?, ?, ?, ?)",
                  (chat_id, conversation_json(state.conversation), state.last_question, self.clock()))

    def count(self, status: str) -> None:
        """Count one reply of `status` (saved with the update that produced it)."""
        if status in STATUSES:
            self.stats[status] += 1

    def _save_stats(self) -> None:
        self.db.executemany("INSERT OR REPLACE INTO stats (name, value) VALUES (?, ?)",  # type: ignore[union-attr]
                            list(self.stats.items()))

    # -- plumbing --------------------------------------------------------------------------------
    def _sql(self, query: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        if self.db is None:
            raise StoreError("the store is closed")
        return self.db.execute(query, params)

    @contextlib.contextmanager
    def _transaction(self, sync: bool = True) -> typing.Iterator[None]:
        """One transaction; with `sync`, COMMIT returns once it is on disk (WAL synced), else once written."""
        if self.db is None:
            raise StoreError("the store is closed")
        if self.db.in_transaction:  # nested: the outer transaction commits
            yield
            return
        if sync != self._sync:
            self.db.execute(f"PRAGMA synchronous={'FULL' if sync else 'NORMAL'}")
            self._sync = sync
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
