"""Configuration, read once from the environment (and an optional `.env`).

Every setting is documented in `.env.example`. Nothing here does I/O at
import time: call :func:`get_settings` where a setting is needed.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.followups.timing import FollowUpPolicy
from bot.permanences import Permanences, PermanencesError, parse_permanences

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix."""


class Settings(BaseSettings):
    """All of Maraude's settings. Field names map to upper-case variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Bot service
    maraude_host: str = "127.0.0.1"
    maraude_port: int = Field(default=8000, ge=1, le=65535)
    maraude_var_dir: Path = PROJECT_ROOT / "var"
    maraude_database_url: str = ""
    maraude_secret_key: str = ""
    maraude_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Rasa and the action server
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = Field(default=20.0, gt=0)

    # Telegram
    telegram_bot_token: str = ""
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: str = ""
    telegram_webhook_url: str = ""

    # Discord
    discord_bot_token: str = ""
    discord_api_base: str = ""
    discord_gateway_url: str = ""

    # Counsellor console
    console_session_idle_minutes: int = Field(default=60, ge=1)
    console_session_max_hours: float = Field(default=12.0, gt=0)
    console_lockout_attempts: int = Field(default=5, ge=1)
    console_lockout_minutes: int = Field(default=15, ge=1)
    console_cookie_secure: bool = False

    # Local activity files staff add (bot/activities/README.md); empty: var/activities
    maraude_activities_local_dir: Path | None = None

    # When counsellors are there to read young people (see bot/permanences.py)
    permanences: str = "lun-ven 09:00-17:00"
    permanences_timezone: str = "Europe/Paris"

    # Follow-ups: checking back a few days after a next step (bot/followups/)
    maraude_follow_up_delay_seconds: float = Field(default=3 * 24 * 3600, gt=0)
    maraude_follow_up_max_attempts: int = Field(default=2, ge=1, le=5)
    maraude_follow_up_hours: str = "lun-dim 10:00-20:00"
    maraude_follow_up_timezone: str = "Europe/Paris"
    maraude_follow_up_poll_seconds: float = Field(default=30.0, gt=0)

    @field_validator("rasa_url", "action_server_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("maraude_activities_local_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _check_permanences(self) -> Settings:
        try:
            parse_permanences(self.permanences, self.permanences_timezone)
        except PermanencesError as err:
            raise ValueError(f"PERMANENCES or PERMANENCES_TIMEZONE: {err}") from err
        try:
            parse_permanences(
                self.maraude_follow_up_hours, self.maraude_follow_up_timezone
            )
        except PermanencesError as err:
            raise ValueError(
                f"MARAUDE_FOLLOW_UP_HOURS or MARAUDE_FOLLOW_UP_TIMEZONE: {err}"
            ) from err
        return self

    @property
    def opening_hours(self) -> Permanences:
        """The permanences, read from PERMANENCES and PERMANENCES_TIMEZONE."""
        return parse_permanences(self.permanences, self.permanences_timezone)

    @property
    def follow_up_hours(self) -> Permanences:
        """When follow-ups may be sent (never at night), in their time zone."""
        return parse_permanences(
            self.maraude_follow_up_hours, self.maraude_follow_up_timezone
        )

    @property
    def follow_up_policy(self) -> FollowUpPolicy:
        """The follow-ups' delay, sending hours and attempt limit."""
        return FollowUpPolicy(
            delay=timedelta(seconds=self.maraude_follow_up_delay_seconds),
            hours=self.follow_up_hours,
            max_attempts=self.maraude_follow_up_max_attempts,
        )

    @property
    def database_url(self) -> str:
        """The app database; SQLite under the var folder unless configured."""
        if self.maraude_database_url:
            return self.maraude_database_url
        return f"sqlite:///{self.maraude_var_dir / 'maraude.db'}"

    @property
    def activities_local_dir(self) -> Path:
        """The folder of local activity files (``*.yml``), maybe missing."""
        return self.maraude_activities_local_dir or self.maraude_var_dir / "activities"

    @property
    def rasa_tracker_db(self) -> Path:
        """The SQLite file of Rasa's tracker store (Rasa writes, we erase)."""
        return self.maraude_var_dir / "rasa" / "tracker.db"

    @property
    def secret_key_file(self) -> Path:
        return self.maraude_var_dir / "secret.key"

    def secret_key(self) -> bytes:
        """The key behind pseudonyms and sessions.

        Raises:
            ConfigError: when neither MARAUDE_SECRET_KEY nor the key file
                written at setup exists.
        """
        if self.maraude_secret_key:
            return self.maraude_secret_key.encode()
        try:
            return self.secret_key_file.read_text().strip().encode()
        except FileNotFoundError as err:
            raise ConfigError(
                f"No secret key: MARAUDE_SECRET_KEY is empty and "
                f"{self.secret_key_file} does not exist. Run `make setup` "
                "(or `maraude init-secret`) to generate one."
            ) from err


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read on first call.

    Raises:
        ConfigError: naming every variable that is malformed.
    """
    try:
        return Settings()
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in err.errors()
        )
        raise ConfigError(f"Invalid configuration: {problems}") from err
