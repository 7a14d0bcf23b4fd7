"""Shared fixtures: the real configuration, knowledge base and engine on the shipped data."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.unanswered import UnansweredLog

REPO = Path(__file__).resolve().parent.parent


def with_cache(config: Config, cache: Path) -> Config:
    """Return `config` with its index cache and unanswered log moved into the folder `cache`."""
    paths = dataclasses.replace(config.paths, cache=cache, unanswered_log=cache / "unanswered.jsonl")
    return dataclasses.replace(config, paths=paths)


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The shipped config.toml, with the index cache and unanswered log in a temporary folder."""
    return with_cache(load_config(REPO / "config.toml"), tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def engine(config: Config) -> Engine:
    """One engine on the shipped data, shared by the read-only tests (it records no unanswered question)."""
    return Engine(config)


@pytest.fixture(scope="session")
def kb(engine: Engine) -> KnowledgeBase:
    return engine.kb


_WRITABLE_PATHS = {"cache": ".cache", "unanswered_log": "var/unanswered.jsonl", "persistence": "var/telegram.pickle"}


@pytest.fixture(scope="session")
def private_config(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config.toml reading the repository's data, whose .cache/ and var/ are in a temporary folder.

    Commands run by the tests use it unless they name another one, so a test run never writes
    into the repository's var/ or .cache/. The shipped data's index is copied, so it starts fast.
    """
    import re
    import shutil

    root = tmp_path_factory.mktemp("private")
    shutil.copytree(engine.config.paths.cache, root / ".cache")
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    for key, value in vars(engine.config.paths).items():
        target = root / _WRITABLE_PATHS[key] if key in _WRITABLE_PATHS else value
        text, found = re.subn(rf'(?m)^{key}\s*=\s*"[^"]*"', f"{key} = {json.dumps(str(target))}", text)
        assert found == 1, f"[paths] {key} not found in config.toml"
    (root / "config.toml").write_text(text, encoding="utf-8")
    return root / "config.toml"


@pytest.fixture
def run_faqbot(private_config: Path, tmp_path_factory: pytest.TempPathFactory):
    """Run `python -m bot ...` in a subprocess and return the CompletedProcess.

    Without --config the command reads `private_config` (FAQBOT_CONFIG), never the repository's var/ or .cache/.
    """
    home = tmp_path_factory.mktemp("home")

    def run(*args: str, input: str | bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "FAQBOT_CONFIG": str(private_config), "HOME": str(home)}
        return subprocess.run([sys.executable, "-m", "bot", *args], input=input, capture_output=True,
                              timeout=timeout, cwd=REPO, env=env, text=not isinstance(input, bytes))

    return run


# -- Telegram: the real python-telegram-bot against a fake Bot API server (tests/fakebotapi.py) --


@pytest.fixture(scope="session")
def telegram_engine(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine on the shipped data whose unanswered log lives in a temporary folder."""
    log = tmp_path_factory.mktemp("telegram-log") / "unanswered.jsonl"
    logged = dataclasses.replace(config, paths=dataclasses.replace(config.paths, unanswered_log=log))
    return Engine(logged, UnansweredLog.from_config(logged))


@pytest.fixture
def telegram_config(config: Config, tmp_path: Path) -> Config:
    """The shipped config with this test's own Telegram store."""
    paths = dataclasses.replace(config.paths, persistence=tmp_path / "telegram.sqlite3")
    return dataclasses.replace(config, paths=paths)


@pytest.fixture
async def fake_api():
    """A running fake Telegram Bot API server on 127.0.0.1 (random port)."""
    from fakebotapi import FakeBotAPI

    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def start_bot(fake_api, telegram_engine: Engine, telegram_config: Config):
    """Start the real bot against `fake_api`: `await start_bot(engine=..., config=..., **telegram_settings)`.

    Long polling, or a webhook when `webhook_secret` is given (with webhook_url/port settings).
    Every bot started is stopped (its lanes drained, its store closed) at the end of the test.
    """
    from bot.channels.telegram import Service, webhook_options

    running = []

    async def start(engine: Engine = telegram_engine, config: Config = telegram_config,
                    webhook_secret: str | None = None, **telegram: object):
        telegram = {"base_url": fake_api.base_url, **telegram}
        config = dataclasses.replace(config, telegram=dataclasses.replace(config.telegram, **telegram))
        webhook = None
        if webhook_secret is not None:
            webhook = webhook_options(config.telegram, {config.telegram.webhook_secret_env: webhook_secret})
        service = Service(engine, config, fake_api.token, webhook, environ={})
        await service.start()
        running.append(service)
        return service

    async def stop(service) -> None:
        running.remove(service)
        await service.stop()

    start.stop = stop
    yield start
    for service in list(reversed(running)):
        await stop(service)


# -- maintainers' tools: a writable copy of the data ------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path, engine: Engine) -> Path:
    """Copy config.toml, knowledge/, intents/ and tests/eval/ to a temporary folder; return its config.toml.

    Paths in config.toml resolve against its folder, so the copy is self-contained (its own cache
    and unanswered log). The shipped data's index is copied too, so an unchanged copy starts fast.
    """
    import shutil

    root = tmp_path / "data"
    for folder in ("knowledge", "intents", "tests/eval"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "config.toml", root / "config.toml")
    shutil.copytree(engine.config.paths.cache, root / ".cache")
    return root / "config.toml"

