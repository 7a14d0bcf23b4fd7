"""A fake Telegram Bot API server for end-to-end tests of the real python-telegram-bot.

It speaks HTTP/1.1 on 127.0.0.1 (random port, standard library only), answers the methods the
bot calls (getMe, deleteWebhook, setWebhook, getUpdates with offset and long polling,
sendMessage, editMessageText, answerCallbackQuery, sendChatAction, setMyCommands,
answerInlineQuery, ...), records every call, and lets a test act as a user (send text or a photo,
press a button, type an inline query) and inject faults (HTTP errors, outages, flood limits, a
request that hangs and is never processed, connections refused for a while).

Like the real server, it refuses malformed HTML, texts over 4096 characters and callback data
over 64 bytes, and it pushes updates to the webhook when one is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"
BOT_ID = 123456789
BOT_USERNAME = "faq_test_bot"
USER = {"id": 1001, "is_bot": False, "first_name": "Aïcha", "language_code": "fr"}
OTHER_USER = {"id": 1002, "is_bot": False, "first_name": "Moussa", "language_code": "fr"}
ADMIN = {"id": 1003, "is_bot": False, "first_name": "Admin", "language_code": "fr"}
GROUP = {"id": -100500, "type": "supergroup", "title": "Groupe de test"}

_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
              "tg-spoiler", "span", "blockquote", "tg-emoji"}
_BAD_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_ENTITY_RE = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?|(?<!\S)@[A-Za-z0-9_]{5,}")


class ApiError(Exception):
    """Answer the current call with an error, like the real Bot API."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class Call:
    """One request the bot made; `params` holds the raw form values."""

    method: str
    params: dict[str, str]
    time: float = field(default_factory=time.perf_counter)
    result: Any = None
    error: int | None = None      # the HTTP status when the fake answered with an error
    done: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        """Return a parameter, JSON-decoded when it is JSON (PTB sends non-strings as JSON)."""
        if name not in self.params:
            return default
        try:
            return json.loads(self.params[name])
        except ValueError:
            return self.params[name]

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def chat_id(self) -> int | None:
        value = self.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Every inline button as (label, callback_data), row by row."""
        markup = self.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, label_part: str) -> str:
        """Return the callback data of the first button whose label contains `label_part`."""
        for label, data in self.buttons:
            if label_part in label:
                return data
        raise AssertionError(f"no button containing {label_part!r} in {self.buttons}")


@dataclass
class _Fault:
    method: str
    status: int
    times: int | None = None          # remaining failures, or None for a time window
    until: float = 0.0
    retry_after: int | None = None
    hang: float = 0.0                 # seconds to stall before dropping the request unprocessed
    slow: float = 0.0                 # seconds to stall before processing the request and answering

    def active(self, method: str) -> bool:
        if method != self.method:
            return False
        if self.times is None:
            return time.monotonic() < self.until
        return self.times > 0


class _TagChecker(HTMLParser):
    """Reject what Telegram's HTML parse mode rejects: unknown or unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.plain: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\"")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: Unexpected end tag \"{tag}\"")

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """Return the text a user sees, checking the markup like Telegram does."""
    if (parse_mode or "").upper() != "HTML":
        return text
    if _BAD_ENTITY.search(text):
        raise ApiError(400, "Bad Request: can't parse entities: unsupported HTML entity or stray '&'")
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag \"{checker.stack[-1]}\"")
    return "".join(checker.plain)  # convert_charrefs: the parser already turned &amp; into &


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class FakeBotAPI:
    """The fake server; use as `async with FakeBotAPI() as api:`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot = {"id": BOT_ID, "is_bot": True, "first_name": "FAQ DCI", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": True}
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {}
        self.update_times: dict[int, float] = {}
        self.callbacks: dict[str, bool] = {}
        self._updates: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._consumed: set[int] = set()
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._push: asyncio.Task[None] | None = None
        self._reopen: asyncio.Task[None] | None = None
        self._refuse_on: tuple[str, float] | None = None
        self.outages: list[tuple[float, float]] = []  # (perf_counter at start, seconds) of each refusal
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeBotAPI:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        background = [t for t in (self._push, self._reopen) if t is not None]
        for task in [*self._tasks, *background]:
            task.cancel()
        await asyncio.gather(*self._tasks, *background, return_exceptions=True)

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- acting as users ---------------------------------------------------------------------
    def send_text(self, text: str, user: dict[str, Any] = USER, chat: dict[str, Any] | None = None,
                  reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a text message (commands and @mentions get their entities); return the update."""
        message = self._user_message(user, chat, reply_to)
        message["text"] = text
        entities = [self._entity(m) for m in _ENTITY_RE.finditer(text)]
        if entities:
            message["entities"] = entities
        return self.push_update({"message": message})

    def send_photo(self, user: dict[str, Any] = USER, chat: dict[str, Any] | None = None,
                   reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a photo without caption; return the update."""
        message = self._user_message(user, chat, reply_to)
        message["photo"] = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}]
        return self.push_update({"message": message})

    def press(self, call: Call, data: str, user: dict[str, Any] = USER, late: bool = False,
              inaccessible: bool = False) -> str:
        """Press the button with callback `data` under the message sent by `call`; return the query id.

        `late`: the query expires before the bot answers it (answerCallbackQuery gets Telegram's 400).
        `inaccessible`: the message is too old (or deleted) for the bot to see or edit it, as Telegram
        then sends it: chat, message_id and date 0.
        """
        message = call.result
        if data not in [d for _, d in self._current_buttons(message)]:
            raise AssertionError(f"no button {data!r} on message {message['message_id']}")
        query_id = str(next(self._query_ids))
        self.callbacks[query_id] = late  # an expired query counts as answered: answering it is refused
        if inaccessible:
            self.messages.pop((message["chat"]["id"], message["message_id"]), None)
            message = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}
        self.push_update({"callback_query": {"id": query_id, "from": user, "message": message,
                                             "chat_instance": "ci-1", "data": data}})
        return query_id

    def inline_query(self, query: str, user: dict[str, Any] = USER) -> str:
        """Type `@bot query` in any chat; return the inline query id."""
        query_id = str(next(self._query_ids))
        self.push_update({"inline_query": {"id": query_id, "from": user, "query": query, "offset": ""}})
        return query_id

    def push_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Make an update available to getUpdates (or POST it to the webhook)."""
        update = {"update_id": next(self._update_ids), **body}
        self.update_times[update["update_id"]] = time.perf_counter()
        self._updates.append(update)
        self._notify()
        return update

    def _user_message(self, user: dict[str, Any], chat: dict[str, Any] | None,
                      reply_to: dict[str, Any] | None) -> dict[str, Any]:
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                                   "chat": chat, "from": user}
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    def _entity(self, match: re.Match[str]) -> dict[str, Any]:
        kind = "mention" if match.group().startswith("@") else "bot_command"
        return {"type": kind, "offset": _utf16_len(match.string[: match.start()]), "length": _utf16_len(match.group())}

    # -- faults --------------------------------------------------------------------------------
    def fail(self, method: str, status: int = 500, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` calls of `method` with an HTTP error."""
        self._faults.append(_Fault(method, status, times=times, retry_after=retry_after))

    def fail_for(self, method: str, seconds: float, status: int = 500) -> None:
        """Answer every call of `method` with an HTTP error for `seconds`, pending long polls included."""
        self._faults.append(_Fault(method, status, until=time.monotonic() + seconds))
        self._notify()

    def hang(self, method: str, seconds: float, times: int = 1) -> None:
        """Stall the next `times` calls of `method` for `seconds`, then drop them unprocessed (no reply, no effect)."""
        self._faults.append(_Fault(method, 504, times=times, hang=seconds))

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """Stall the next `times` calls of `method` for `seconds`, then process them and answer (too late, maybe)."""
        self._faults.append(_Fault(method, 200, times=times, slow=seconds))

    def refuse_connections(self, seconds: float, on: str | None = None) -> None:
        """Refuse every connection for `seconds`, now or from the next call of `on` (which is cut unanswered).

        The listening socket is closed (connecting fails with ECONNREFUSED), open connections
        are cut, and the server listens again on the same port afterwards.
        """
        if on is not None:
            self._refuse_on = (on, seconds)
        else:
            self._refuse(seconds)

    def _refuse(self, seconds: float) -> None:
        assert self._server is not None
        self.outages.append((time.perf_counter(), seconds))
        self._server.close()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self._reopen = asyncio.get_running_loop().create_task(self._listen_again(seconds))

    async def _listen_again(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)

    def _outage(self, method: str) -> _Fault | None:
        return next((f for f in self._faults if f.times is None and f.active(method)), None)

    def _hang_for(self, method: str) -> float:
        for fault in self._faults:
            if fault.hang and fault.active(method):
                fault.times -= 1  # type: ignore[operator]
                return fault.hang
        return 0.0

    def _slow_for(self, method: str) -> float:
        for fault in self._faults:
            if fault.slow and fault.active(method):
                fault.times -= 1  # type: ignore[operator]
                return fault.slow
        return 0.0

    def _check_faults(self, method: str) -> None:
        for fault in self._faults:
            if fault.active(method) and not fault.hang and not fault.slow:
                if fault.times is not None:
                    fault.times -= 1
                if fault.status == 429:
                    raise ApiError(429, f"Too Many Requests: retry after {fault.retry_after or 1}",
                                   {"retry_after": fault.retry_after or 1})
                raise ApiError(fault.status, HTTPStatus(fault.status).phrase)

    # -- inspecting ---------------------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    async def wait_call(self, method: str, chat_id: int | None = None, timeout: float = 5.0, started: bool = False,
                        **params: Any) -> Call:
        """Return the first successful call of `method` (matching `chat_id`/`params`) not returned before.

        With `started`, return it as soon as it arrives (a long poll, say), before it is answered.
        """

        def find() -> Call | None:
            for index, call in enumerate(self.calls):
                if index in self._consumed or call.method != method or call.error:
                    continue
                if not call.done and not started:
                    continue
                if chat_id is not None and call.chat_id != chat_id:
                    continue
                if all(call.params.get(k) == (v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()):
                    self._consumed.add(index)
                    return call
            return None

        found: list[Call] = []

        def ready() -> bool:
            if not found and (call := find()) is not None:
                found.append(call)
            return bool(found)

        if not await self._wait_until(ready, timeout):
            seen = [(c.method, c.params) for c in self.calls[-8:]]
            raise AssertionError(f"no {method} call within {timeout} s; last calls: {seen}")
        return found[0]

    def commands_for(self, scope: dict[str, Any] | None = None) -> list[str]:
        """Return the command names registered for `scope` (default scope if None)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        return [c["command"] for c in self.commands.get(key, [])]

    def unanswered_callbacks(self) -> list[str]:
        return [qid for qid, answered in self.callbacks.items() if not answered]

    def _current_buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        stored = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        markup = stored.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]

    def _notify(self) -> None:
        """Wake every waiter (long polls, webhook pusher, tests); they re-check their condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    # -- HTTP --------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # stop(): end quietly, asyncio's stream callback dislikes cancelled tasks
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        request_line = await reader.readline()
        if not request_line:
            return False
        _, target, _ = request_line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        answer = await self._dispatch(target, headers.get("content-type", ""), body)
        if answer is None:  # a hung or cut request: close without a reply
            return False
        status, payload = answer
        data = json.dumps(payload).encode()  # ASCII escapes: a lone surrogate a test sends survives
        writer.write(f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        await writer.drain()
        return True

    async def _dispatch(self, target: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]] | None:
        prefix = f"/bot{self.token}/"
        if not target.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = target[len(prefix):].split("?", 1)[0]
        if "multipart" in content_type:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: the fake takes no files"}
        call = Call(method, dict(parse_qsl(body.decode(), keep_blank_values=True)))
        self.calls.append(call)
        self._notify()
        if self._refuse_on is not None and self._refuse_on[0] == method:
            self._refuse(self._refuse_on[1])
            self._refuse_on = None
            return self._dropped(call)
        if hang := self._hang_for(method):
            await asyncio.sleep(hang)
            return self._dropped(call)
        if slow := self._slow_for(method):
            await asyncio.sleep(slow)
        handler = getattr(self, f"_api_{method}", None)
        try:
            self._check_faults(method)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = await handler(call)
        except ApiError as exc:
            call.error, call.done = exc.code, True
            self._notify()
            error = {"ok": False, "error_code": exc.code, "description": exc.description}
            return exc.code, {**error, "parameters": exc.parameters} if exc.parameters else error
        call.done = True
        self._notify()
        return 200, {"ok": True, "result": call.result}

    def _dropped(self, call: Call) -> None:
        call.error, call.done = 504, True  # never processed: for the user, nothing happened
        self._notify()
        return None

    # -- Bot API methods -------------------------------------------------------------------------
    async def _api_getMe(self, call: Call) -> dict[str, Any]:
        return self.bot

    async def _api_deleteWebhook(self, call: Call) -> bool:
        self.webhook = {}
        if call.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_setWebhook(self, call: Call) -> bool:
        self.webhook = {"url": call.params["url"], "secret_token": call.params.get("secret_token", "")}
        if self._push is None or self._push.done():
            self._push = asyncio.get_running_loop().create_task(self._push_to_webhook())
        return True

    async def _api_getWebhookInfo(self, call: Call) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _api_getUpdates(self, call: Call) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(call.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(call.get("timeout") or 0)
        await self._wait_until(lambda: bool(self._updates) or self._outage("getUpdates") is not None, timeout)
        if outage := self._outage("getUpdates"):  # the outage also breaks the poll that was waiting
            raise ApiError(outage.status, HTTPStatus(outage.status).phrase)
        return self._updates[: int(call.get("limit") or 100)]

    async def _api_sendMessage(self, call: Call) -> dict[str, Any]:
        chat_id = int(call.get("chat_id"))
        self._check_message(call)
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "from": self.bot,
                   "chat": self._chat(chat_id), "text": call.text}
        if "reply_markup" in call.params:
            message["reply_markup"] = call.get("reply_markup")
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_editMessageText(self, call: Call) -> dict[str, Any]:
        key = (int(call.get("chat_id")), int(call.get("message_id")))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        self._check_message(call)
        old = self.messages[key]
        markup = call.get("reply_markup")
        if old["text"] == call.text and old.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        new = {**old, "text": call.text, "edit_date": int(time.time())}
        new.pop("reply_markup", None)
        if markup:
            new["reply_markup"] = markup
        self.messages[key] = new
        return new

    async def _api_editMessageReplyMarkup(self, call: Call) -> dict[str, Any]:
        key = (int(call.get("chat_id")), int(call.get("message_id")))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        self.messages[key] = {**self.messages[key], "reply_markup": call.get("reply_markup")}
        return self.messages[key]

    async def _api_answerCallbackQuery(self, call: Call) -> bool:
        query_id = call.params["callback_query_id"]
        if self.callbacks.get(query_id, True):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.callbacks[query_id] = True
        return True

    async def _api_answerInlineQuery(self, call: Call) -> bool:
        results = call.get("results")
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        for result in results:
            content = result["input_message_content"]
            plain_text(content["message_text"], content.get("parse_mode"))
        return True

    async def _api_sendChatAction(self, call: Call) -> bool:
        return True

    async def _api_setMyCommands(self, call: Call) -> bool:
        commands = call.get("commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]) or not 1 <= len(command["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[json.dumps(call.get("scope") or {"type": "default"}, sort_keys=True)] = commands
        return True

    async def _api_getMyCommands(self, call: Call) -> list[dict[str, str]]:
        return self.commands.get(json.dumps(call.get("scope") or {"type": "default"}, sort_keys=True), [])

    async def _api_deleteMyCommands(self, call: Call) -> bool:
        self.commands.pop(json.dumps(call.get("scope") or {"type": "default"}, sort_keys=True), None)
        return True

    async def _api_close(self, call: Call) -> bool:
        return True

    async def _api_logOut(self, call: Call) -> bool:
        return True

    # -- helpers -------------------------------------------------------------------------------
    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id == GROUP["id"]:
            return GROUP
        return {"id": chat_id, "type": "private" if chat_id > 0 else "group", "first_name": "Utilisateur"}

    def _check_message(self, call: Call) -> None:
        if _utf16_len(plain_text(call.text, call.params.get("parse_mode"))) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        if not call.text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = call.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    async def _push_to_webhook(self) -> None:
        """Deliver queued updates to the webhook, in order, as Telegram does."""
        async with httpx.AsyncClient(timeout=5) as client:
            while self.webhook.get("url"):
                if not await self._wait_until(lambda: bool(self._updates), 1.0):
                    continue
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret_token"]}
                try:
                    response = await client.post(self.webhook["url"], json=update, headers=headers)
                    delivered = response.status_code == 200
                except httpx.HTTPError:
                    delivered = False
                if delivered:
                    self._updates.pop(0)
                else:
                    await asyncio.sleep(0.2)


class BotProcess:
    """A `faqbot telegram` subprocess whose stdout and stderr are read as they come (a full pipe would block it)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stdout, self.stderr = bytearray(), bytearray()
        self._readers = [asyncio.get_running_loop().create_task(self._read(stream, buffer))
                         for stream, buffer in ((process.stdout, self.stdout), (process.stderr, self.stderr))]

    @staticmethod
    async def _read(stream: asyncio.StreamReader | None, buffer: bytearray) -> None:
        while stream is not None and (chunk := await stream.read(65536)):
            buffer.extend(chunk)

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    @property
    def pid(self) -> int:
        return self.process.pid

    def send_signal(self, number: int) -> None:
        self.process.send_signal(number)

    def kill(self) -> None:
        self.process.kill()

    async def wait(self, timeout: float = 30) -> tuple[bytes, bytes]:
        """Wait for the process to end; return its whole stdout and stderr."""
        await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.gather(*self._readers)
        return bytes(self.stdout), bytes(self.stderr)


@contextlib.asynccontextmanager
async def faqbot_telegram(*args: str, env: dict[str, str], cwd: Path) -> AsyncIterator[BotProcess]:
    """Run `python -m bot telegram ARGS` for a test; kill it if the test leaves it running."""
    process = BotProcess(await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "telegram", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE))
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def stop(process: BotProcess, timeout: float = 30) -> tuple[bytes, bytes]:
    """Stop a `faqbot telegram` process as systemd does (SIGTERM) and return its stdout and stderr."""
    process.send_signal(signal.SIGTERM)
    return await process.wait(timeout)
