"""Reading and validating the open-data files the importer loads.

Each reader turns one file into plain rows and records every row it skips,
with the reason. Nothing here touches the database: the importer writes only
once every file has been read, so a bad file never costs the live data.
Accepted formats are described in ``bot/orientation/README.md``.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.orientation.errors import SourceError
from bot.orientation.models import CommuneKind, FormerCommuneKind
from bot.orientation.text import fold, normalize_name

logger = logging.getLogger(__name__)

# INSEE codes are five characters; Corsica uses 2A/2B in place of 20.
INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
POSTAL_CODE = re.compile(r"^\d{5}$")
DEPARTMENT_CODE = re.compile(r"^(?:\d{2}|2[AB]|97\d|98\d)$")
# Referential ids are a structure code followed by a site suffix: "59512S00".
REFERENTIAL_ID = re.compile(r"^(?P<code>\d{5}|2[AB]\d{3})S\d{2}$")
# Official names start with the department: "59-ML ROUBAIX", "69–ML ...".
OFFICIAL_NAME_DEPARTMENT = re.compile(r"^\s*(?P<dep>2[AB]|\d{2,3})\s*[-–]")
# Administrative placeholders in the referential, not real structures.
PLACEHOLDER_NAME = re.compile(r"temporaire|fusion", re.IGNORECASE)

# Spreadsheet exports drop the leading zero of codes like 01001.
SHORT_CODE_LENGTH = 4
EXAMPLES_KEPT = 5
YES_VALUES = frozenset({"oui", "o", "yes", "y", "true", "1", "vrai"})

COMMUNE_TYPES = {
    "commune-actuelle": CommuneKind.COMMUNE,
    "arrondissement-municipal": CommuneKind.ARRONDISSEMENT,
}
FORMER_TYPES = {
    "commune-deleguee": FormerCommuneKind.DELEGUEE,
    "commune-associee": FormerCommuneKind.ASSOCIEE,
}

# Coverage map columns, by folded header name.
COVERAGE_REQUIRED = {
    "code insee": "commune_code",
    "code ml": "ml_code",
    "nom officiel ml": "ml_name",
}
COVERAGE_OPTIONAL = {
    "adresse ml": "address",
    "code postal ml": "postal_code",
    "ville ml": "city",
    "commune presente sur plusieurs ml": "shared",
}
COORDINATES_REQUIRED = ("REF_INSEE", "LATITUDE", "LONGITUDE")

ProgressCallback = Callable[[str, int, int], None]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
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


def read_sources(
    files: SourceFiles, progress: ProgressCallback | None = None
) -> ParsedSources:
    """Read and validate every file of an import.

    Raises:
        SourceError: when a file cannot be read or lacks what is required.
    """
    report = progress or _no_progress
    parsed = ParsedSources()
    parsed.departments = _read_departments(files.departments, parsed)
    _read_communes(files.communes, parsed, report)
    if not parsed.communes:
        raise SourceError(
            f"Expected communes in {files.communes}, got none that validate. "
            "Is it the communes.json of @etalab/decoupage-administratif?"
        )
    _add_missing_departments(parsed)
    if files.coordinates is None:
        logger.warning("No france_cities*.csv found: communes get no coordinates")
    else:
        _read_coordinates(files.coordinates, parsed, report)
    referential = _read_referential(files.referential, parsed, report)
    if files.coverage is None:
        logger.warning("No coverage map found: Missions Locales by department only")
        parsed.missions_locales = list(referential.values())
    else:
        _read_coverage(files.coverage, referential, parsed, report)
    return parsed


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


def _load_json_list(path: Path) -> list[Any]:
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


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
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
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    rows = [(reader.line_num, row) for row in reader]
    return header, rows


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean_spaces(value: str) -> str:
    return " ".join(value.split())


def _code(value: str, pattern: re.Pattern[str], parsed: ParsedSources) -> str:
    """A code, with the leading zero a spreadsheet dropped put back."""
    value = value.strip().upper()
    if len(value) == SHORT_CODE_LENGTH and value.isdigit():
        padded = "0" + value
        if pattern.match(padded):
            parsed.notes.add("code missing its leading zero (restored)", value)
            return padded
    return value


def _stage(
    report: ProgressCallback, stage: str, items: list[Any]
) -> Iterator[tuple[int, Any]]:
    total = len(items)
    step = max(total // 100, 1)
    for index, item in enumerate(items):
        if index % step == 0:
            report(stage, index, total)
        yield index, item
    report(stage, total, total)


# --- departments and communes ---------------------------------------------


def _read_departments(path: Path | None, parsed: ParsedSources) -> list[DepartmentRow]:
    if path is None:
        logger.warning("No departements_*.json found: names default to codes")
        return []
    rows: dict[str, DepartmentRow] = {}
    for index, entry in enumerate(_load_json_list(path)):
        code = _text(entry.get("code")) if isinstance(entry, dict) else ""
        name = _text(entry.get("nom")) if isinstance(entry, dict) else ""
        if not DEPARTMENT_CODE.match(code) or not name:
            parsed.skipped.add("department: missing code or name", f"entry {index}")
            continue
        rows[code] = DepartmentRow(code, name, _text(entry.get("region")) or None)
    return list(rows.values())


def _read_communes(path: Path, parsed: ParsedSources, report: ProgressCallback) -> None:
    entries = _load_json_list(path)
    current: dict[str, CommuneRow] = {}
    former: list[tuple[int, FormerCommuneRow]] = []
    for index, entry in _stage(report, "Communes", entries):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            parsed.skipped.add("commune: not an object", where)
            continue
        code = _text(entry.get("code"))
        name = _clean_spaces(_text(entry.get("nom")))
        department = _text(entry.get("departement"))
        kind = _text(entry.get("type"))
        where = f"entry {index} ({code or '?'})"
        if not INSEE_CODE.match(code):
            parsed.skipped.add("commune: malformed INSEE code", where)
        elif not name:
            parsed.skipped.add("commune: no name", where)
        elif not DEPARTMENT_CODE.match(department):
            parsed.skipped.add("commune: malformed department", where)
        elif kind in FORMER_TYPES:
            current_code = _text(entry.get("chefLieu"))
            former.append(
                (
                    index,
                    FormerCommuneRow(
                        code=code,
                        name=name,
                        normalized_name=normalize_name(name),
                        kind=FORMER_TYPES[kind],
                        department_code=department,
                        current_code=current_code,
                    ),
                )
            )
        elif kind not in COMMUNE_TYPES:
            parsed.skipped.add("commune: unknown type", f"{where}: {kind!r}")
        elif code in current:
            parsed.skipped.add("commune: duplicate INSEE code", where)
        else:
            current[code] = CommuneRow(
                code=code,
                name=name,
                normalized_name=normalize_name(name),
                kind=COMMUNE_TYPES[kind],
                department_code=department,
                postal_codes=_postal_codes(entry.get("codesPostaux"), where, parsed),
                population=_population(entry.get("population"), where, parsed),
                parent_code=_text(entry.get("commune")) or None,
            )

    # Links are checked once every row is known, whatever the file's order.
    for row in list(current.values()):
        if row.kind == CommuneKind.ARRONDISSEMENT and row.parent_code not in current:
            parsed.skipped.add("commune: arrondissement of an unknown city", row.code)
            del current[row.code]
    for index, former_row in former:
        if former_row.current_code not in current:
            parsed.skipped.add(
                "former commune: merged into an unknown commune",
                f"entry {index} ({former_row.code})",
            )
            continue
        parsed.former_communes.append(former_row)

    # Cities come before their arrondissements, for the self-reference.
    parsed.communes = sorted(
        current.values(), key=lambda row: (row.kind != CommuneKind.COMMUNE, row.code)
    )


def _postal_codes(value: Any, where: str, parsed: ParsedSources) -> list[str]:
    if not isinstance(value, list):
        return []
    codes = []
    for item in value:
        if isinstance(item, str) and POSTAL_CODE.match(item.strip()):
            codes.append(item.strip())
        else:
            parsed.notes.add("commune: malformed postal code dropped", where)
    return sorted(set(codes))


def _population(value: Any, where: str, parsed: ParsedSources) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    parsed.notes.add("commune: malformed population dropped", where)
    return None


def _add_missing_departments(parsed: ParsedSources) -> None:
    known = {row.code for row in parsed.departments}
    for code in sorted({row.department_code for row in parsed.communes} - known):
        parsed.notes.add("department: no name, code used", code)
        parsed.departments.append(DepartmentRow(code, code, None))


# --- coordinates -----------------------------------------------------------


def _read_coordinates(
    path: Path, parsed: ParsedSources, report: ProgressCallback
) -> None:
    header, rows = _read_csv(path)
    missing = [column for column in COORDINATES_REQUIRED if column not in header]
    if missing:
        raise SourceError(
            f"Expected columns {', '.join(COORDINATES_REQUIRED)} in {path}, "
            f"missing {', '.join(missing)} (got {', '.join(header)})."
        )
    communes = {row.code: row for row in parsed.communes}
    for _index, (line, row) in _stage(report, "Coordinates", rows):
        code = _code(_text(row.get("REF_INSEE")), INSEE_CODE, parsed)
        commune = communes.get(code)
        if commune is None:
            # The file follows the 2022 geography; merged communes do not join.
            parsed.notes.add("coordinates: INSEE code not in communes", code)
            continue
        try:
            latitude = float(_text(row.get("LATITUDE")))
            longitude = float(_text(row.get("LONGITUDE")))
        except ValueError:
            parsed.skipped.add("coordinates: not a number", f"line {line}")
            continue
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            parsed.skipped.add("coordinates: out of range", f"line {line}")
            continue
        commune.latitude, commune.longitude = latitude, longitude
    for commune in parsed.communes:
        if commune.latitude is None:
            parsed.notes.add("commune: no coordinates", commune.code)


# --- Missions Locales ------------------------------------------------------


def _read_referential(
    path: Path, parsed: ParsedSources, report: ProgressCallback
) -> dict[str, MissionLocaleRow]:
    """Valid referential entries, by structure code."""
    structures: dict[str, MissionLocaleRow] = {}
    for index, entry in _stage(report, "Missions Locales", _load_json_list(path)):
        if not isinstance(entry, dict):
            parsed.skipped.add("referential: not an object", f"entry {index}")
            continue
        referential_id = _text(entry.get("id"))
        name = _clean_spaces(_text(entry.get("nom_officiel")))
        department = _text(entry.get("code_departement"))
        where = f"entry {index} ({referential_id or '?'})"
        match = REFERENTIAL_ID.match(referential_id)
        if not name or PLACEHOLDER_NAME.search(name):
            parsed.skipped.add("referential: placeholder, not a structure", where)
        elif match is None:
            parsed.skipped.add("referential: malformed id", where)
        elif not DEPARTMENT_CODE.match(department):
            parsed.skipped.add("referential: no department", where)
        elif match["code"] in structures:
            parsed.skipped.add("referential: duplicate structure", where)
        else:
            structures[match["code"]] = MissionLocaleRow(
                id=match["code"],
                referential_id=referential_id,
                official_name=name,
                usual_name=_clean_spaces(_text(entry.get("nom_usuel"))) or None,
                department_code=department,
            )
    return structures


def _read_coverage(
    path: Path,
    referential: dict[str, MissionLocaleRow],
    parsed: ParsedSources,
    report: ProgressCallback,
) -> None:
    header, rows = _read_csv(path)
    columns = _coverage_columns(path, header)
    communes = {row.code for row in parsed.communes}
    by_name = {fold(row.official_name): row for row in referential.values()}
    from_map: dict[str, MissionLocaleRow] = {}
    seen: set[tuple[str, str]] = set()

    for _index, (line, raw) in _stage(report, "Coverage map", rows):
        row = {target: _text(raw.get(source)) for source, target in columns.items()}
        where = f"line {line}"
        commune_code = _code(row["commune_code"], INSEE_CODE, parsed)
        ml_code = _code(row["ml_code"], INSEE_CODE, parsed)
        ml_name = _clean_spaces(row["ml_name"])
        if not INSEE_CODE.match(commune_code):
            parsed.skipped.add("coverage: malformed INSEE code", where)
        elif commune_code not in communes:
            parsed.skipped.add("coverage: unknown commune", f"{where} ({commune_code})")
        elif not INSEE_CODE.match(ml_code) or not ml_name:
            parsed.skipped.add("coverage: no Mission Locale code or name", where)
        elif (commune_code, ml_code) in seen:
            parsed.skipped.add("coverage: duplicate row", where)
        else:
            seen.add((commune_code, ml_code))
            if ml_code not in from_map:
                from_map[ml_code] = _mission_locale_from_map(
                    ml_code, ml_name, row, referential, by_name, parsed
                )
            elif fold(from_map[ml_code].official_name) != fold(ml_name):
                parsed.notes.add("coverage: one code, several names", where)
            parsed.coverage.append(
                CoverageRow(
                    commune_code=commune_code,
                    mission_locale_id=ml_code,
                    shared=fold(row.get("shared", "")) in YES_VALUES,
                )
            )

    if not parsed.coverage:
        raise SourceError(
            f"Expected coverage rows in {path}, got none that validate "
            f"({sum(parsed.skipped.counts.values())} skipped). Is it the "
            "coverage map of the Missions Locales' national union?"
        )
    # A referential entry joined by name may carry another code than the map.
    joined = {row.referential_id for row in from_map.values()}
    untouched = [
        row
        for row in referential.values()
        if row.referential_id not in joined and row.id not in from_map
    ]
    parsed.missions_locales = sorted(
        [*from_map.values(), *untouched], key=lambda row: row.id
    )


def _coverage_columns(path: Path, header: list[str]) -> dict[str, str]:
    """Source column name → field name, matched on folded header names."""
    folded = {fold(name): name for name in header}
    missing = [name for name in COVERAGE_REQUIRED if name not in folded]
    if missing:
        raise SourceError(
            f"Expected coverage map columns {', '.join(COVERAGE_REQUIRED)} in "
            f"{path}, missing {', '.join(missing)} (got {', '.join(header)}). "
            "Is the separator ';' or ','?"
        )
    wanted = {**COVERAGE_REQUIRED, **COVERAGE_OPTIONAL}
    return {folded[key]: target for key, target in wanted.items() if key in folded}


def _mission_locale_from_map(
    code: str,
    name: str,
    row: dict[str, str],
    referential: dict[str, MissionLocaleRow],
    by_name: dict[str, MissionLocaleRow],
    parsed: ParsedSources,
) -> MissionLocaleRow:
    """The Mission Locale of a coverage row, completed from the referential."""
    known = by_name.get(fold(name))
    usual_name = known.usual_name if known else None
    if known is None and code in referential:
        # Same code, another name: the structure was renamed or merged, and
        # its usual name may belong to the other one.
        parsed.notes.add("coverage: name differs from the referential", name)
        known = referential[code]
    if known is None:
        parsed.notes.add("coverage: Mission Locale not in the referential", name)
        found = OFFICIAL_NAME_DEPARTMENT.match(name)
        known = MissionLocaleRow(
            id=code,
            referential_id=None,
            official_name=name,
            usual_name=None,
            department_code=found["dep"] if found else None,
        )
    postal_code = _code(row.get("postal_code", ""), POSTAL_CODE, parsed)
    return MissionLocaleRow(
        id=code,
        referential_id=known.referential_id,
        official_name=name,
        usual_name=usual_name,
        department_code=known.department_code,
        address=_clean_spaces(row.get("address", "")) or None,
        postal_code=postal_code if POSTAL_CODE.match(postal_code) else None,
        city=_clean_spaces(row.get("city", "")) or None,
    )
