"""The files an import reads, and what reading them produces.

:class:`SourceFiles` finds the files in a folder; the readers in
:mod:`bot.orientation.source_communes` and
:mod:`bot.orientation.source_missions_locales` turn them into the rows of
:class:`ParsedSources`, recording every row they skip with the reason. Nothing
here touches the database. Accepted formats are described in
``bot/orientation/README.md``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.orientation.errors import SourceError

logger = logging.getLogger(__name__)

# INSEE codes are five characters; Corsica uses 2A/2B in place of 20.
INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
POSTAL_CODE = re.compile(r"^\d{5}$")
DEPARTMENT_CODE = re.compile(r"^(?:\d{2}|2[AB]|97\d|98\d)$")
# Spreadsheet exports drop the leading zero of codes like 01001.
SHORT_CODE_LENGTH = 4
EXAMPLES_KEPT = 5

ProgressCallback = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """A progress callback that reports nothing."""
    return None


@dataclass
class Tally:
    """Counts by reason, with the first few examples of each."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        kept = self.examples.setdefault(reason, [])
        if len(kept) < EXAMPLES_KEPT:
            kept.append(example)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {
            reason: {"count": count, "examples": self.examples.get(reason, [])}
            for reason, count in sorted(self.counts.items())
        }


@dataclass(frozen=True)
class SourceFiles:
    """The files of one import."""

    communes: Path
    referential: Path
    departments: Path | None = None
    coordinates: Path | None = None
    coverage: Path | None = None

    @classmethod
    def discover(cls, folder: Path, coverage: Path | None = None) -> SourceFiles:
        """Find the files in ``folder`` (searched recursively) by their names.

        Args:
            folder: where the files are, e.g. ``../shared/data``.
            coverage: a coverage map to use instead of looking for one.

        Raises:
            SourceError: when the folder or a required file is missing.
        """
        if not folder.is_dir():
            raise SourceError(
                f"Expected a folder of open data, got {folder!s}, which is not a "
                "folder. Pass --source with the folder holding communes_*.json."
            )
        if coverage is not None and not coverage.is_file():
            raise SourceError(
                f"Expected a coverage map CSV, got {coverage!s}, which is not a "
                "file. Check the --coverage path."
            )
        return cls(
            communes=_require(folder, "communes_*.json"),
            referential=_require(folder, "referentiel_structures_milo*.json"),
            departments=_newest(folder, "departements_*.json"),
            coordinates=_newest(folder, "france_cities*.csv"),
            coverage=coverage or _coverage_map(folder),
        )

    def as_dict(self) -> dict[str, str | None]:
        return {
            "communes": str(self.communes),
            "referential": str(self.referential),
            "departments": _str_or_none(self.departments),
            "coordinates": _str_or_none(self.coordinates),
            "coverage": _str_or_none(self.coverage),
        }


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    region_code: str | None


@dataclass
class CommuneRow:
    code: str
    name: str
    normalized_name: str
    kind: str
    department_code: str
    postal_codes: list[str]
    population: int | None
    parent_code: str | None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class FormerCommuneRow:
    code: str
    name: str
    normalized_name: str
    kind: str
    department_code: str
    current_code: str


@dataclass
class MissionLocaleRow:
    id: str
    referential_id: str | None
    official_name: str
    usual_name: str | None
    department_code: str | None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class CoverageRow:
    commune_code: str
    mission_locale_id: str
    shared: bool


@dataclass
class ParsedSources:
    """Everything read from the files, ready to be written."""

    departments: list[DepartmentRow] = field(default_factory=list)
    communes: list[CommuneRow] = field(default_factory=list)
    former_communes: list[FormerCommuneRow] = field(default_factory=list)
    missions_locales: list[MissionLocaleRow] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    skipped: Tally = field(default_factory=Tally)
    # Gaps that do not drop a row but should be known (missing coordinates...).
    notes: Tally = field(default_factory=Tally)

    def counts(self) -> dict[str, int]:
        return {
            "departments": len(self.departments),
            "communes": len(self.communes),
            "former_communes": len(self.former_communes),
            "missions_locales": len(self.missions_locales),
            "coverage": len(self.coverage),
            "with_coordinates": sum(c.latitude is not None for c in self.communes),
        }


# --- finding files -------------------------------------------------------


def _require(folder: Path, pattern: str) -> Path:
    found = _newest(folder, pattern)
    if found is None:
        raise SourceError(
            f"Expected a file matching {pattern} under {folder}, found none. "
            "See bot/orientation/README.md for where to download it."
        )
    return found


def _newest(folder: Path, pattern: str) -> Path | None:
    # Names carry the year (communes_2026.json): the last in order is newest.
    matches = sorted(folder.rglob(pattern))
    return matches[-1] if matches else None


def _coverage_map(folder: Path) -> Path | None:
    """The coverage map to import: a full national file before the sample."""
    matches = sorted(folder.rglob("zones_de_couverture*.csv"))
    full = [path for path in matches if "sample" not in path.name.casefold()]
    candidates = full or matches
    chosen = candidates[-1] if candidates else None
    if len(matches) > 1:
        logger.info("Several coverage maps found; using %s", chosen)
    return chosen


def _str_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)


# --- reading helpers ------------------------------------------------------


def load_json_list(path: Path) -> list[Any]:
    """The list a UTF-8 JSON file holds.

    Raises:
        SourceError: when the file is unreadable or holds something else.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SourceError(
            f"Could not read {path} as UTF-8 JSON ({err}). Download the file "
            "again; see bot/orientation/README.md."
        ) from err
    if not isinstance(data, list):
        raise SourceError(
            f"Expected a JSON list in {path}, got a {type(data).__name__}."
        )
    return data


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows (with their line numbers) of a CSV in UTF-8 or cp1252."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise SourceError(f"Could not read {path} ({err}).") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Files saved from a spreadsheet on Windows come in cp1252.
        text = raw.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    rows = [(reader.line_num, row) for row in reader]
    return header, rows


def text_of(value: Any) -> str:
    """A stripped string, or "" for anything that is not one (None, numbers)."""
    return value.strip() if isinstance(value, str) else ""


def clean_spaces(value: str) -> str:
    """Runs of spaces made single ("4 place  sanville")."""
    return " ".join(value.split())


def fixed_code(value: str, pattern: re.Pattern[str], parsed: ParsedSources) -> str:
    """A code, with the leading zero a spreadsheet dropped put back."""
    value = value.strip().upper()
    if len(value) == SHORT_CODE_LENGTH and value.isdigit():
        padded = "0" + value
        if pattern.match(padded):
            parsed.notes.add("code missing its leading zero (restored)", value)
            return padded
    return value


def stages(
    report: ProgressCallback, stage: str, items: list[Any]
) -> Iterator[tuple[int, Any]]:
    """Enumerate ``items``, reporting progress about a hundred times."""
    total = len(items)
    step = max(total // 100, 1)
    for index, item in enumerate(items):
        if index % step == 0:
            report(stage, index, total)
        yield index, item
    report(stage, total, total)
