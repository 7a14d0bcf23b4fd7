"""Shared fixtures: the real configuration, knowledge base and engine on the shipped data."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.engine import Engine
from bot.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent


def with_cache(config: Config, cache: Path) -> Config:
    """Return `config` with its index cache moved to `cache`."""
    return dataclasses.replace(config, paths=dataclasses.replace(config.paths, cache=cache))


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The shipped config.toml, with the index cache in a temporary folder."""
    return with_cache(load_config(REPO / "config.toml"), tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def engine(config: Config) -> Engine:
    """One engine on the shipped data, shared by the read-only tests."""
    return Engine(config)


@pytest.fixture(scope="session")
def kb(engine: Engine) -> KnowledgeBase:
    return engine.kb


@pytest.fixture
def run_faqbot():
    """Run `python -m bot ...` in a subprocess and return the CompletedProcess."""

    def run(*args: str, input: str | bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        return subprocess.run([sys.executable, "-m", "bot", *args], input=input, capture_output=True,
                              timeout=timeout, cwd=REPO, env=env, text=not isinstance(input, bytes))

    return run
