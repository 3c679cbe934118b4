"""Import of the open reference data into the orientation tables.

The whole import is one transaction: every file is read and validated first,
then the old rows are deleted and the new ones inserted before a single
commit. A failure at any point rolls back, and readers keep seeing the
previous data until the commit, so the live data is never half replaced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.db.base import Base, utcnow
from bot.orientation.errors import ImportAbortedError, OrientationError, SourceError
from bot.orientation.models import (
    Commune,
    Coverage,
    Department,
    FormerCommune,
    ImportRun,
    ImportStatus,
    MissionLocale,
)
from bot.orientation.source_communes import (
    add_missing_departments,
    read_communes,
    read_coordinates,
    read_departments,
)
from bot.orientation.source_missions_locales import read_coverage, read_referential
from bot.orientation.sources import (
    ParsedSources,
    ProgressCallback,
    SourceFiles,
    no_progress,
)

logger = logging.getLogger(__name__)

INSERT_BATCH = 1000
# A communes file with less than half the communes already loaded is far more
# likely truncated than a real redrawing of the map; refuse unless told.
MIN_KEPT_RATIO = 0.5
WRITE_STAGE = "Writing"


@dataclass(frozen=True)
class ImportReport:
    """What an import did, for the command line and the import-run record."""

    run_id: int
    files: SourceFiles
    counts: dict[str, int]
    previous_counts: dict[str, int]
    skipped: dict[str, dict[str, Any]]
    notes: dict[str, dict[str, Any]]
    seconds: float

    @property
    def skipped_total(self) -> int:
        return sum(int(entry["count"]) for entry in self.skipped.values())


def run_import(
    engine: Engine,
    files: SourceFiles,
    *,
    progress: ProgressCallback | None = None,
    allow_shrink: bool = False,
) -> ImportReport:
    """Replace the orientation data with what ``files`` hold, all or nothing.

    Args:
        engine: the app database, already migrated.
        files: the files to read (see :meth:`SourceFiles.discover`).
        progress: called with (stage, done, total) as work advances.
        allow_shrink: accept a communes file much smaller than the data
            already loaded (otherwise the import is refused).

    Returns:
        The counts written, the rows skipped by reason and the time taken.

    Raises:
        SourceError: a file is missing or not in an accepted format.
        ImportAbortedError: the new data looks truncated, or writing failed.
    """
    started_at = utcnow()
    clock = time.perf_counter()
    logger.info("Orientation import started from %s", files.communes.parent)
    try:
        parsed = read_sources(files, progress)
        previous = current_counts(engine)
        _refuse_truncated(parsed, previous, allow_shrink)
        with Session(engine) as session, session.begin():
            _replace_all(session, parsed, progress)
            run = ImportRun(
                started_at=started_at,
                finished_at=utcnow(),
                status=ImportStatus.SUCCEEDED,
                sources=files.as_dict(),
                counts=parsed.counts(),
                skipped=parsed.skipped.as_dict(),
            )
            session.add(run)
            session.flush()
            run_id = run.id
    except (OrientationError, SQLAlchemyError) as err:
        _record_failure(engine, files, started_at, err)
        if isinstance(err, OrientationError):
            raise
        raise ImportAbortedError(
            f"Writing the orientation data failed ({err.__class__.__name__}); "
            "nothing was changed. Check that the database is reachable and "
            "migrated (the import command migrates it unless --no-migrate), "
            "then run the import again."
        ) from err

    seconds = time.perf_counter() - clock
    logger.info(
        "Orientation import %d done in %.1f s: %d communes, %d coverage rows, "
        "%d rows skipped",
        run_id,
        seconds,
        len(parsed.communes),
        len(parsed.coverage),
        sum(parsed.skipped.counts.values()),
    )
    return ImportReport(
        run_id=run_id,
        files=files,
        counts=parsed.counts(),
        previous_counts=previous,
        skipped=parsed.skipped.as_dict(),
        notes=parsed.notes.as_dict(),
        seconds=seconds,
    )


def read_sources(
    files: SourceFiles, progress: ProgressCallback | None = None
) -> ParsedSources:
    """Read and validate every file of an import.

    Raises:
        SourceError: when a file cannot be read or lacks what is required.
    """
    report = progress or no_progress
    parsed = ParsedSources()
    parsed.departments = read_departments(files.departments, parsed)
    read_communes(files.communes, parsed, report)
    if not parsed.communes:
        raise SourceError(
            f"Expected communes in {files.communes}, got none that validate. "
            "Is it the communes.json of @etalab/decoupage-administratif?"
        )
    add_missing_departments(parsed)
    if files.coordinates is None:
        logger.warning("No france_cities*.csv found: communes get no coordinates")
    else:
        read_coordinates(files.coordinates, parsed, report)
    referential = read_referential(files.referential, parsed, report)
    if files.coverage is None:
        logger.warning("No coverage map found: Missions Locales by department only")
        parsed.missions_locales = list(referential.values())
    else:
        read_coverage(files.coverage, referential, parsed, report)
    return parsed


def current_counts(engine: Engine) -> dict[str, int]:
    """Rows now in each orientation table."""
    tables: dict[str, type[Base]] = {
        "departments": Department,
        "communes": Commune,
        "former_communes": FormerCommune,
        "missions_locales": MissionLocale,
        "coverage": Coverage,
    }
    with Session(engine) as session:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in tables.items()
        }


def _refuse_truncated(
    parsed: ParsedSources, previous: dict[str, int], allow_shrink: bool
) -> None:
    before, after = previous["communes"], len(parsed.communes)
    if allow_shrink or before == 0 or after >= before * MIN_KEPT_RATIO:
        return
    raise ImportAbortedError(
        f"Expected about {before} communes as now loaded, got {after}: the "
        "communes file looks truncated. Nothing was changed. Check the file, "
        "or pass --allow-shrink if the smaller set is intended."
    )


def _replace_all(
    session: Session, parsed: ParsedSources, progress: ProgressCallback | None
) -> None:
    # Children before parents, so that foreign keys hold at every statement.
    children_first: tuple[type[Base], ...] = (
        Coverage,
        FormerCommune,
        MissionLocale,
        Commune,
        Department,
    )
    for table in children_first:
        session.execute(delete(table))

    batches: list[tuple[type[Base], Sequence[Any]]] = [
        (Department, parsed.departments),
        (Commune, parsed.communes),
        (FormerCommune, parsed.former_communes),
        (MissionLocale, parsed.missions_locales),
        (Coverage, parsed.coverage),
    ]
    total = sum(len(rows) for _, rows in batches)
    done = 0
    for model, rows in batches:
        for start in range(0, len(rows), INSERT_BATCH):
            chunk = rows[start : start + INSERT_BATCH]
            _insert(session, model, [asdict(row) for row in chunk])
            done += len(chunk)
            if progress is not None:
                progress(WRITE_STAGE, done, total)


def _insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def _record_failure(
    engine: Engine, files: SourceFiles, started_at: datetime, err: Exception
) -> None:
    """Keep a trace of a failed run, in its own transaction."""
    try:
        with Session(engine) as session, session.begin():
            session.add(
                ImportRun(
                    started_at=started_at,
                    finished_at=utcnow(),
                    status=ImportStatus.FAILED,
                    sources=files.as_dict(),
                    error=f"{err.__class__.__name__}: {err}"[:2000],
                )
            )
    except SQLAlchemyError as record_err:
        # The tables may not exist yet; the original error matters more.
        logger.warning(
            "Could not record the failed import run (%s)",
            record_err.__class__.__name__,
        )
