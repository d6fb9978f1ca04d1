"""One settings model: YAML file < WEIR_* environment < command-line flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from weir.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEIR_", extra="forbid", validate_default=True)

    port: int = Field(6379, ge=0, le=65535, description="RESP port (0 picks a free one)")
    bind: str = Field("127.0.0.1", description="address to listen on")
    dir: Path = Field(Path("./data"), description="data directory")
    requirepass: str | None = Field(None, description="password for the default user")
    databases: int = Field(16, ge=1, le=1024)
    maxclients: int = Field(10000, ge=1)
    timeout: int = Field(0, ge=0, description="close idle clients after this many seconds")
    proto_max_bulk_len: int = Field(512 * 1024 * 1024, ge=1024 * 1024)
    client_query_buffer_limit: int = Field(1024 * 1024 * 1024, ge=1024 * 1024)
    appendfsync: Literal["always", "everysec", "no"] = "everysec"
    loglevel: Literal["debug", "verbose", "notice", "warning"] = "notice"
    protected_mode: bool = Field(True, description="refuse non-loopback clients with no password")
    config_file: Path | None = Field(None, description="the YAML file these settings came from")

    @field_validator("bind")
    @classmethod
    def _bind_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name an address")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        yaml_file = _CONFIG_FILE.get("path")
        if yaml_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Build settings from the file, the environment and flags; ConfigError names a bad one."""
    overrides = {k: v for k, v in flags.items() if v is not None}
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file {config_file} does not exist")
    _CONFIG_FILE["path"] = config_file
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    finally:
        _CONFIG_FILE["path"] = None
    settings.config_file = config_file
    return settings
