"""Settings defaults live in crawler/settings.py, environment-backed ones come from archive/config.py."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from archive import config
from archive.crawl import project_settings
from crawler import settings as project

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_the_components_read_has_a_project_default() -> None:
    read = set()
    for path in [*ROOT.glob("crawler/**/*.py"), *ROOT.glob("pipelines/*.py")]:
        read |= set(re.findall(r"settings\.get\w*\(\s*\"(NEWSARCHIVE_\w+)\"", path.read_text(encoding="utf-8")))
    assert read, "no settings reads found: the pattern is out of date"
    assert sorted(name for name in read if not hasattr(project, name)) == []


def test_every_env_backed_name_is_a_project_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh copy of the settings module read with none of the names set (the test session sets
    # some, such as NEWSARCHIVE_LOG_DIR, before or after crawler.settings was first imported).
    for name in config.ENV_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.spec_from_file_location("fresh_project_settings", project.__file__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    for name in config.ENV_SETTINGS:
        target = "LOG_LEVEL" if name == "NEWSARCHIVE_LOG_LEVEL" else name
        assert getattr(fresh, target) == config.env_setting(name), name


def test_explicit_over_environment_over_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSARCHIVE_WARC_PREFIX", raising=False)
    assert config.env_setting("NEWSARCHIVE_WARC_PREFIX") == "newsarchive"
    monkeypatch.setenv("NEWSARCHIVE_WARC_PREFIX", "nightly")
    assert config.env_setting("NEWSARCHIVE_WARC_PREFIX") == "nightly"
    assert config.env_setting("NEWSARCHIVE_WARC_PREFIX", "mine") == "mine"
    monkeypatch.setenv("NEWSARCHIVE_WARC_PREFIX", "")  # empty: unset
    assert config.env_setting("NEWSARCHIVE_WARC_PREFIX") == "newsarchive"


def test_numbers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSARCHIVE_REFRESH_WINDOW_HOURS", "6")
    assert config.env_setting("NEWSARCHIVE_REFRESH_WINDOW_HOURS") == 6.0
    monkeypatch.setenv("NEWSARCHIVE_REFRESH_WINDOW_HOURS", "soon")
    with pytest.raises(ValueError):
        config.env_setting("NEWSARCHIVE_REFRESH_WINDOW_HOURS")


def test_cli_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSARCHIVE_DATABASE_URL", raising=False)
    monkeypatch.setenv("NEWSARCHIVE_WARC_DIR", "/srv/warc")
    assert config.database_url() == config.DEFAULT_DATABASE_URL == "sqlite:///data/newsarchive.db"
    assert config.database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert config.warc_dir() == "/srv/warc"
    assert config.warc_dir("here") == "here"


def test_command_line_settings_beat_the_project_defaults() -> None:
    assert project_settings().getfloat("NEWSARCHIVE_STORE_INTERVAL") == project.NEWSARCHIVE_STORE_INTERVAL
    assert project_settings({"NEWSARCHIVE_STORE_INTERVAL": 0.5}).getfloat("NEWSARCHIVE_STORE_INTERVAL") == 0.5
