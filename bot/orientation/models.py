"""Reference data for orienting young people: communes and Missions Locales.

Everything here is public data, replaced as a whole by each import (see
:mod:`bot.orientation.importer`); nothing about a young person is stored.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow

INSEE_CODE_LENGTH = 5
DEPARTMENT_CODE_LENGTH = 3


class CommuneKind(StrEnum):
    """What an INSEE code stands for."""

    COMMUNE = "commune"  # a current commune
    ARRONDISSEMENT = "arrondissement"  # municipal, in Paris, Lyon and Marseille


class FormerCommuneKind(StrEnum):
    """Why a name survives after a merger (people still say it)."""

    DELEGUEE = "deleguee"
    ASSOCIEE = "associee"


class ImportStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Department(Base):
    __tablename__ = "orientation_departments"

    code: Mapped[str] = mapped_column(String(DEPARTMENT_CODE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str | None] = mapped_column(String(3), nullable=True)


class Commune(Base):
    """A current commune, or a municipal arrondissement of Paris, Lyon, Marseille.

    Coverage by Missions Locales is published per arrondissement for those
    three cities, so arrondissements are rows of their own, pointing at their
    city through ``parent_code``.
    """

    __tablename__ = "orientation_communes"

    code: Mapped[str] = mapped_column(String(INSEE_CODE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    normalized_name: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=CommuneKind.COMMUNE)
    department_code: Mapped[str] = mapped_column(
        String(DEPARTMENT_CODE_LENGTH), index=True
    )
    postal_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("orientation_communes.code"), nullable=True, index=True
    )
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)


class FormerCommune(Base):
    """The name of a commune that merged into a current one.

    The INSEE code of a former commune is often reused by the new commune, so
    it is not a key here.
    """

    __tablename__ = "orientation_former_communes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(INSEE_CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(120))
    normalized_name: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str] = mapped_column(String(DEPARTMENT_CODE_LENGTH))
    current_code: Mapped[str] = mapped_column(
        ForeignKey("orientation_communes.code"), index=True
    )


class MissionLocale(Base):
    """A Mission Locale structure (its head office).

    ``id`` is the structure code: "Code ML" in the coverage map, and the first
    five characters of the referential's id ("59512" for "59512S00").
    """

    __tablename__ = "orientation_missions_locales"

    id: Mapped[str] = mapped_column(String(INSEE_CODE_LENGTH), primary_key=True)
    referential_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    official_name: Mapped[str] = mapped_column(String(200))
    usual_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    department_code: Mapped[str | None] = mapped_column(
        String(DEPARTMENT_CODE_LENGTH), nullable=True, index=True
    )
    address: Mapped[str | None] = mapped_column(String(255), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    city: Mapped[str | None] = mapped_column(String(120), nullable=True)


class Coverage(Base):
    """The published coverage map: which Mission Locale covers a commune."""

    __tablename__ = "orientation_coverage"

    commune_code: Mapped[str] = mapped_column(
        ForeignKey("orientation_communes.code"), primary_key=True
    )
    mission_locale_id: Mapped[str] = mapped_column(
        ForeignKey("orientation_missions_locales.id"), primary_key=True, index=True
    )
    # The map flags communes split between several Missions Locales.
    shared: Mapped[bool] = mapped_column(Boolean, default=False)


class ImportRun(Base):
    """One run of the importer, kept for the record (successful or not)."""

    __tablename__ = "orientation_import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    finished_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16))
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skipped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
