"""systemd integration (Type=notify units): sd_notify messages and the watchdog pings."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

from bot.channels.telegram.render import ascii_int

log = logging.getLogger(__name__)

STALL_SECONDS = 300.0  # updates waiting and none finished for this long: the bot is stuck
WATCHDOG_PINGS = 2  # pings per WatchdogSec (systemd advises at least every half of it)


def sd_notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send `message` to systemd (Type=notify units); False when not run by systemd or not sent.

    The socket is non-blocking: a listener that does not read (its queue full) must not stall the bot.
    """
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("Could not notify systemd: %s", exc)
        return False
    return True


async def watchdog(healthy: Callable[[], bool], environ: dict[str, str] | None = None) -> None:
    """Tell systemd the bot is alive (WATCHDOG=1) every half WatchdogSec, only while `healthy()`.

    When it stops (updates no longer fetched, or no longer handled), systemd kills and restarts it.
    """
    environ = environ if environ is not None else dict(os.environ)
    usec = ascii_int(environ.get("WATCHDOG_USEC", ""))
    pid = environ.get("WATCHDOG_PID", "")
    if not usec or (pid and pid != str(os.getpid())):
        return
    interval = usec / (WATCHDOG_PINGS * 1_000_000)  # microseconds to seconds
    warned = False
    while True:
        if healthy():
            sd_notify("WATCHDOG=1", environ)
            warned = False
        elif not warned:
            log.error("Not fetching or not handling updates any more: no watchdog ping, systemd will restart the bot")
            warned = True
        await asyncio.sleep(interval)
