"""The `weir` command: version, validation of settings, and YAML < env < flag precedence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis

from tests.servers import free_port, weir_server
from weir import REDIS_VERSION, __version__


def _weir(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weir", *args], capture_output=True, text=True, timeout=30,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def _listens(port: int) -> bool:
    client = redis.Redis(port=port, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def test_version() -> None:
    proc = _weir("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"weir {__version__} (redis_version {REDIS_VERSION})"


def test_a_port_out_of_range_names_the_setting(tmp_path: Path) -> None:
    proc = _weir("server", "--port", "70000", "--dir", str(tmp_path))
    assert proc.returncode == 2
    assert "port" in proc.stderr
    assert "65535" in proc.stderr


def test_a_bad_env_value_names_the_setting(tmp_path: Path) -> None:
    proc = _weir("server", "--dir", str(tmp_path), env={"WEIR_MAXCLIENTS": "zero"})
    assert proc.returncode == 2
    assert "maxclients" in proc.stderr


def test_a_missing_config_file_is_reported(tmp_path: Path) -> None:
    proc = _weir("server", "--config", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert "nope.yaml" in proc.stderr
    assert "does not exist" in proc.stderr


def test_an_unknown_yaml_key_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "weir.yaml"
    config.write_text(f"port: {free_port()}\nmaxclient: 10\n")
    proc = _weir("server", "--config", str(config), "--dir", str(tmp_path))
    assert proc.returncode == 2
    assert "maxclient" in proc.stderr
    assert "not permitted" in proc.stderr or "extra" in proc.stderr.lower()


def test_yaml_then_env_then_flag(tmp_path: Path) -> None:
    yaml_port, env_port = free_port(), free_port()
    config = tmp_path / "weir.yaml"
    config.write_text(f"port: {yaml_port}\ndatabases: 4\n")
    # YAML alone: the file's port and database count.
    with _started(config, tmp_path / "a", env={}) as port:
        assert port == yaml_port
        client = redis.Redis(port=port)
        assert _error(lambda: client.select(4)) == "DB index is out of range"
        client.close()
    # The environment beats the file.
    with _started(config, tmp_path / "b", env={"WEIR_PORT": str(env_port)}) as port:
        assert port == env_port
        assert not _listens(yaml_port)
    # A flag beats both (weir_server passes --port on a fresh free port).
    with weir_server("--config", str(config), env={"WEIR_PORT": str(env_port)}) as server:
        assert server.port not in (yaml_port, env_port)
        assert _listens(server.port)
        assert not _listens(env_port)


class _started:
    """A `weir server --config` whose port comes from the file or the environment."""

    def __init__(self, config: Path, data: Path, env: dict[str, str]) -> None:
        self.args = [sys.executable, "-m", "weir", "server", "--config", str(config), "--dir", str(data)]
        self.env = {**os.environ, **env}
        self.port = int(env.get("WEIR_PORT") or config.read_text().split("port: ")[1].split()[0])

    def __enter__(self) -> int:
        from tests.servers import wait_for_port

        self.proc = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc)
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _error(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except redis.ResponseError as exc:
        return str(exc)
    return ""
