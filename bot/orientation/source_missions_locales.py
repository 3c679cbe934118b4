"""Readers of the Missions Locales referential and of the coverage map."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from bot.orientation.errors import SourceError
from bot.orientation.sources import (
    DEPARTMENT_CODE,
    INSEE_CODE,
    POSTAL_CODE,
    CoverageRow,
    MissionLocaleRow,
    ParsedSources,
    ProgressCallback,
    clean_spaces,
    fixed_code,
    load_json_list,
    read_csv,
    stages,
    text_of,
)
from bot.orientation.text import fold

logger = logging.getLogger(__name__)

# Referential ids are a structure code followed by a site suffix: "59512S00".
REFERENTIAL_ID = re.compile(r"^(?P<code>\d{5}|2[AB]\d{3})S\d{2}$")
# Official names start with the department: "59-ML ROUBAIX", "69–ML ...".
OFFICIAL_NAME_DEPARTMENT = re.compile(r"^\s*(?P<dep>2[AB]|\d{2,3})\s*[-–]")
# Administrative placeholders in the referential, not real structures.
PLACEHOLDER_NAME = re.compile(r"temporaire|fusion", re.IGNORECASE)
YES_VALUES = frozenset({"oui", "o", "yes", "y", "true", "1", "vrai"})

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


def read_referential(
    path: Path, parsed: ParsedSources, report: ProgressCallback
) -> dict[str, MissionLocaleRow]:
    """Valid referential entries, by structure code."""
    structures: dict[str, MissionLocaleRow] = {}
    for index, entry in stages(report, "Missions Locales", load_json_list(path)):
        if not isinstance(entry, dict):
            parsed.skipped.add("referential: not an object", f"entry {index}")
            continue
        referential_id = text_of(entry.get("id"))
        name = clean_spaces(text_of(entry.get("nom_officiel")))
        department = text_of(entry.get("code_departement"))
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
                usual_name=clean_spaces(text_of(entry.get("nom_usuel"))) or None,
                department_code=department,
            )
    return structures


def read_coverage(
    path: Path,
    referential: dict[str, MissionLocaleRow],
    parsed: ParsedSources,
    report: ProgressCallback,
) -> None:
    header, rows = read_csv(path)
    columns = _coverage_columns(path, header)
    communes = {row.code for row in parsed.communes}
    by_name = {fold(row.official_name): row for row in referential.values()}
    from_map: dict[str, MissionLocaleRow] = {}
    seen: set[tuple[str, str]] = set()

    for _index, (line, raw) in stages(report, "Coverage map", rows):
        row = {target: text_of(raw.get(source)) for source, target in columns.items()}
        where = f"line {line}"
        commune_code = fixed_code(row["commune_code"], INSEE_CODE, parsed)
        ml_code = fixed_code(row["ml_code"], INSEE_CODE, parsed)
        ml_name = clean_spaces(row["ml_name"])
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
    postal_code = fixed_code(row.get("postal_code", ""), POSTAL_CODE, parsed)
    return MissionLocaleRow(
        id=code,
        referential_id=known.referential_id,
        official_name=name,
        usual_name=usual_name,
        department_code=known.department_code,
        address=clean_spaces(row.get("address", "")) or None,
        postal_code=postal_code if POSTAL_CODE.match(postal_code) else None,
        city=clean_spaces(row.get("city", "")) or None,
    )
