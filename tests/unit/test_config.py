"""Settings: YAML file < WEIR_* environment < flags, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from weir.config import load_settings
from weir.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("WEIR_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings()
    assert (settings.port, settings.bind, settings.databases, settings.appendfsync) == (6379, "127.0.0.1", 16, "everysec")


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "weir.yaml"
    config.write_text("port: 7001\ndatabases: 4\nmaxclients: 50\n")
    settings = load_settings(config)
    assert (settings.port, settings.databases, settings.maxclients) == (7001, 4, 50)
    assert settings.config_file == config
    monkeypatch.setenv("WEIR_PORT", "7002")
    monkeypatch.setenv("WEIR_DATABASES", "8")
    settings = load_settings(config)
    assert (settings.port, settings.databases, settings.maxclients) == (7002, 8, 50)
    settings = load_settings(config, port=7003, bind=None)
    assert (settings.port, settings.databases, settings.bind) == (7003, 8, "127.0.0.1")


@pytest.mark.parametrize(
    ("flags", "env", "yaml", "named"),
    [
        ({"port": 70000}, {}, "", "port"),
        ({}, {"WEIR_MAXCLIENTS": "0"}, "", "maxclients"),
        ({}, {}, "appendfsync: sometimes\n", "appendfsync"),
        ({}, {}, "maxclient: 10\n", "maxclient"),
        ({"bind": " "}, {}, "", "bind"),
        ({}, {}, "proto_max_bulk_len: 10\n", "proto_max_bulk_len"),
    ],
    ids=["port-range", "env-maxclients", "yaml-literal", "yaml-unknown-key", "empty-bind", "bulk-too-small"],
)
def test_errors_name_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: dict[str, object], env: dict[str, str], yaml: str, named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = None
    if yaml:
        config = tmp_path / "weir.yaml"
        config.write_text(yaml)
    with pytest.raises(ConfigError, match=named):
        load_settings(config, **flags)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml does not exist"):
        load_settings(tmp_path / "nope.yaml")
