"""The webhook: a small HTTP/1.1 server (asyncio streams) for Telegram's POSTs, behind a reverse proxy.

Before a byte of the body is read, the request must name the webhook's path, carry the secret in
``X-Telegram-Bot-Api-Secret-Token`` (compared in constant time) and announce a Content-Length
(ASCII digits) no larger than `max_bytes`; anything else is answered 404/403/411/413 and the
connection closed. The update is recorded in the store before the 200 (a failure to record is a
500: Telegram sends it again), and an update_id seen before is answered 200 and not handled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable
from http import HTTPStatus

from bot.channels.telegram.render import ascii_int

log = logging.getLogger(__name__)

HEADER_SECONDS = 10.0  # to send the request line and headers (slow senders hold a connection, nothing more)
BODY_SECONDS = 30.0  # to send the body
IDLE_SECONDS = 75.0  # a kept-alive connection with no request is closed after this
MAX_HEADERS = 64  # a request with more header lines is refused
LINE_LIMIT = 16 * 1024  # bytes of the request line or of one header line at most
MAX_CONNECTIONS = 100  # Telegram opens at most 100 (setWebhook max_connections, 40 by default)


class WebhookServer:
    """Serve `path` on listen:port; `accept(update_id, body)` records and queues one update, and
    returns whether it was new (it raises when it cannot record it)."""

    def __init__(self, listen: str, port: int, path: str, secret: str, max_bytes: int,
                 accept: Callable[[int, str], bool]) -> None:
        self.listen, self.port, self.path = listen, port, "/" + path.lstrip("/")
        self.secret, self.max_bytes, self.accept = secret.encode(), max_bytes, accept
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.listen, self.port, limit=LINE_LIMIT)

    def serving(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= MAX_CONNECTIONS:
            writer.close()
            return
        self._connections.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; tell whether the connection stays open for another."""
        line = await asyncio.wait_for(reader.readline(), IDLE_SECONDS)
        if not line:
            return False
        headers = await asyncio.wait_for(self._headers(reader), HEADER_SECONDS)
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or headers is None:  # « METHOD TARGET VERSION »
            return await self._respond(writer, HTTPStatus.BAD_REQUEST)
        method, target, version = parts
        if target.split("?", 1)[0] != self.path:
            return await self._respond(writer, HTTPStatus.NOT_FOUND)
        if method != "POST":
            return await self._respond(writer, HTTPStatus.METHOD_NOT_ALLOWED)
        if not hmac.compare_digest(headers.get("x-telegram-bot-api-secret-token", "").encode(), self.secret):
            log.info("Webhook request without the right secret token: refused")
            return await self._respond(writer, HTTPStatus.FORBIDDEN)
        length = ascii_int(headers.get("content-length", ""))
        if "transfer-encoding" in headers or length is None:
            return await self._respond(writer, HTTPStatus.LENGTH_REQUIRED)
        if length > self.max_bytes:
            log.warning("Webhook request of %d bytes refused (webhook_max_bytes is %d)", length, self.max_bytes)
            return await self._respond(writer, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        body = await asyncio.wait_for(reader.readexactly(length), BODY_SECONDS)
        status = self._take(body)
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        return await self._respond(writer, status, keep=keep and status == HTTPStatus.OK)

    @staticmethod
    async def _headers(reader: asyncio.StreamReader) -> dict[str, str] | None:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                return headers
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                return None
            headers[name.strip().lower()] = value.strip()
        return None

    def _take(self, body: bytes) -> HTTPStatus:
        try:
            data = json.loads(body)
            update_id = data.get("update_id") if isinstance(data, dict) else None
        except ValueError:
            update_id = None
        if type(update_id) is not int:
            log.warning("Webhook body is not an update (no update id): refused")
            return HTTPStatus.BAD_REQUEST
        try:
            self.accept(update_id, json.dumps(data))
        except Exception as exc:  # not recorded: Telegram will send it again
            log.error("Could not record update %d", update_id, exc_info=exc)
            return HTTPStatus.INTERNAL_SERVER_ERROR
        return HTTPStatus.OK

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, status: HTTPStatus, keep: bool = False) -> bool:
        writer.write(f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Length: 0\r\n"
                     f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n".encode("ascii"))
        await writer.drain()
        return keep
