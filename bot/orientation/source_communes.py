"""Readers of the communes, departments and coordinates files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.orientation.errors import SourceError
from bot.orientation.models import CommuneKind, FormerCommuneKind
from bot.orientation.sources import (
    DEPARTMENT_CODE,
    INSEE_CODE,
    POSTAL_CODE,
    CommuneRow,
    DepartmentRow,
    FormerCommuneRow,
    ParsedSources,
    ProgressCallback,
    clean_spaces,
    fixed_code,
    load_json_list,
    read_csv,
    stages,
    text_of,
)
from bot.orientation.text import normalize_name

logger = logging.getLogger(__name__)

COMMUNE_TYPES = {
    "commune-actuelle": CommuneKind.COMMUNE,
    "arrondissement-municipal": CommuneKind.ARRONDISSEMENT,
}
FORMER_TYPES = {
    "commune-deleguee": FormerCommuneKind.DELEGUEE,
    "commune-associee": FormerCommuneKind.ASSOCIEE,
}
COORDINATES_REQUIRED = ("REF_INSEE", "LATITUDE", "LONGITUDE")


def read_departments(path: Path | None, parsed: ParsedSources) -> list[DepartmentRow]:
    if path is None:
        logger.warning("No departements_*.json found: names default to codes")
        return []
    rows: dict[str, DepartmentRow] = {}
    for index, entry in enumerate(load_json_list(path)):
        code = text_of(entry.get("code")) if isinstance(entry, dict) else ""
        name = text_of(entry.get("nom")) if isinstance(entry, dict) else ""
        if not DEPARTMENT_CODE.match(code) or not name:
            parsed.skipped.add("department: missing code or name", f"entry {index}")
            continue
        rows[code] = DepartmentRow(code, name, text_of(entry.get("region")) or None)
    return list(rows.values())


def read_communes(path: Path, parsed: ParsedSources, report: ProgressCallback) -> None:
    entries = load_json_list(path)
    current: dict[str, CommuneRow] = {}
    former: list[tuple[int, FormerCommuneRow]] = []
    for index, entry in stages(report, "Communes", entries):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            parsed.skipped.add("commune: not an object", where)
            continue
        code = text_of(entry.get("code"))
        name = clean_spaces(text_of(entry.get("nom")))
        department = text_of(entry.get("departement"))
        kind = text_of(entry.get("type"))
        where = f"entry {index} ({code or '?'})"
        if not INSEE_CODE.match(code):
            parsed.skipped.add("commune: malformed INSEE code", where)
        elif not name:
            parsed.skipped.add("commune: no name", where)
        elif not DEPARTMENT_CODE.match(department):
            parsed.skipped.add("commune: malformed department", where)
        elif kind in FORMER_TYPES:
            current_code = text_of(entry.get("chefLieu"))
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
                parent_code=text_of(entry.get("commune")) or None,
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


def add_missing_departments(parsed: ParsedSources) -> None:
    known = {row.code for row in parsed.departments}
    for code in sorted({row.department_code for row in parsed.communes} - known):
        parsed.notes.add("department: no name, code used", code)
        parsed.departments.append(DepartmentRow(code, code, None))


def read_coordinates(
    path: Path, parsed: ParsedSources, report: ProgressCallback
) -> None:
    header, rows = read_csv(path)
    missing = [column for column in COORDINATES_REQUIRED if column not in header]
    if missing:
        raise SourceError(
            f"Expected columns {', '.join(COORDINATES_REQUIRED)} in {path}, "
            f"missing {', '.join(missing)} (got {', '.join(header)})."
        )
    communes = {row.code: row for row in parsed.communes}
    for _index, (line, row) in stages(report, "Coordinates", rows):
        code = fixed_code(text_of(row.get("REF_INSEE")), INSEE_CODE, parsed)
        commune = communes.get(code)
        if commune is None:
            # The file follows the 2022 geography; merged communes do not join.
            parsed.notes.add("coordinates: INSEE code not in communes", code)
            continue
        try:
            latitude = float(text_of(row.get("LATITUDE")))
            longitude = float(text_of(row.get("LONGITUDE")))
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
