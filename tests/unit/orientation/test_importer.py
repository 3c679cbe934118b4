"""Importing the open data: idempotent, validating, and all or nothing."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.db.base import Base
from bot.db.engine import create_engine_for
from bot.orientation import importer
from bot.orientation.errors import ImportAbortedError, SourceError
from bot.orientation.importer import current_counts, run_import
from bot.orientation.models import (
    Commune,
    Coverage,
    FormerCommune,
    ImportRun,
    ImportStatus,
    MissionLocale,
)
from bot.orientation.sources import SourceFiles
from tests.unit.orientation.conftest import FIXTURES

COVERAGE_FILE = "zones_de_couverture_2026_sample.csv"


def _copy_fixtures(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return folder


def _fixture_rows(name: str) -> int:
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle, delimiter=";"))


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with Session(engine) as session:
        return {
            "communes": [
                (c.code, c.name, c.kind, c.parent_code, tuple(c.postal_codes))
                for c in session.scalars(select(Commune).order_by(Commune.code))
            ],
            "missions_locales": [
                (m.id, m.official_name, m.address)
                for m in session.scalars(
                    select(MissionLocale).order_by(MissionLocale.id)
                )
            ],
            "coverage": sorted(
                (c.commune_code, c.mission_locale_id)
                for c in session.scalars(select(Coverage))
            ),
        }


def _append_coverage(folder: Path, lines: list[str]) -> None:
    path = folder / COVERAGE_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def test_the_fixtures_import_whole(engine: Engine, fixture_files: SourceFiles) -> None:
    report = run_import(engine, fixture_files)

    assert report.counts["coverage"] == _fixture_rows(COVERAGE_FILE)
    assert report.counts["communes"] > 1000
    assert report.counts["with_coordinates"] == report.counts["communes"]
    assert report.counts["former_communes"] > 0
    assert report.skipped_total == 2  # the two referential placeholders
    with Session(engine) as session:
        paris_11 = session.get(Commune, "75111")
        assert paris_11 is not None
        assert paris_11.parent_code == "75056"
        assert paris_11.kind == "arrondissement"
        assert paris_11.latitude is not None
        cherbourg = session.scalars(
            select(FormerCommune).where(FormerCommune.name == "Cherbourg-Octeville")
        ).one()
        assert cherbourg.current_code == "50129"


def test_placeholders_of_the_referential_are_left_out(
    engine: Engine, fixture_files: SourceFiles
) -> None:
    report = run_import(engine, fixture_files)

    assert report.skipped["referential: placeholder, not a structure"]["count"] == 1
    assert report.skipped["referential: no department"]["count"] == 1
    with Session(engine) as session:
        names = session.scalars(select(MissionLocale.official_name)).all()
    assert not any("Fusion" in name for name in names)


def test_a_second_import_of_the_same_files_changes_nothing(
    engine: Engine, fixture_files: SourceFiles
) -> None:
    first = run_import(engine, fixture_files)
    before = _snapshot(engine)

    second = run_import(engine, fixture_files)

    assert _snapshot(engine) == before
    assert second.counts == first.counts
    assert second.previous_counts == current_counts(engine)
    with Session(engine) as session:
        runs = session.scalars(select(ImportRun.status)).all()
    assert runs == [ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED]


def test_bad_coverage_rows_are_skipped_with_their_reason(
    engine: Engine, tmp_path: Path
) -> None:
    folder = _copy_fixtures(tmp_path)
    tail = (
        ";Nord(59);x;32;59512;59-ML ROUBAIX;x;32;Non;"
        "92 av jean baptiste lebas;59100;Roubaix"
    )
    _append_coverage(
        folder,
        [
            "5951;Code court" + tail,  # padded to 05951, which is no commune
            "ABCDE;Pas un code" + tail,
            "59998;Commune inconnue" + tail,
            "59512;Roubaix" + tail,  # already in the file
            "59350;Lille;Nord(59);x;32;;;x;32;Non;;;",
        ],
    )

    report = run_import(engine, SourceFiles.discover(folder))

    skipped = {reason: entry["count"] for reason, entry in report.skipped.items()}
    assert skipped["coverage: malformed INSEE code"] == 1
    assert skipped["coverage: unknown commune"] == 2  # 59998 and 05951
    assert skipped["coverage: duplicate row"] == 1
    assert skipped["coverage: no Mission Locale code or name"] == 1
    assert report.skipped["coverage: unknown commune"]["examples"][0].startswith(
        "line "
    )
    assert report.counts["coverage"] == _fixture_rows(COVERAGE_FILE)


def test_a_code_that_lost_its_leading_zero_is_restored(
    engine: Engine, tmp_path: Path
) -> None:
    folder = _copy_fixtures(tmp_path)
    path = folder / COVERAGE_FILE
    text = path.read_text(encoding="utf-8").replace("\n01004;", "\n1004;", 1)
    path.write_text(text, encoding="utf-8")

    report = run_import(engine, SourceFiles.discover(folder))

    assert report.notes["code missing its leading zero (restored)"]["count"] >= 1
    assert report.counts["coverage"] == _fixture_rows(COVERAGE_FILE)


def test_bad_communes_are_skipped_with_their_reason(
    engine: Engine, tmp_path: Path
) -> None:
    folder = _copy_fixtures(tmp_path)
    path = folder / "communes_2026.json"
    communes = json.loads(path.read_text(encoding="utf-8"))
    base = {"departement": "59", "type": "commune-actuelle", "codesPostaux": ["59000"]}
    communes += [
        {**base, "code": "5900", "nom": "Code trop court"},
        {**base, "code": "59997", "nom": ""},
        {**base, "code": "59996", "nom": "Type inconnu", "type": "hameau"},
        {**base, "code": "59512", "nom": "Roubaix en double"},
        {**base, "code": "59995", "nom": "Arr.", "type": "arrondissement-municipal"},
        {**base, "code": "59994", "nom": "Codes postaux", "codesPostaux": ["5910"]},
        "not an object",
    ]
    path.write_text(json.dumps(communes, ensure_ascii=False), encoding="utf-8")

    report = run_import(engine, SourceFiles.discover(folder))

    skipped = {reason: entry["count"] for reason, entry in report.skipped.items()}
    assert skipped["commune: malformed INSEE code"] == 1
    assert skipped["commune: no name"] == 1
    assert skipped["commune: unknown type"] == 1
    assert skipped["commune: duplicate INSEE code"] == 1
    assert skipped["commune: arrondissement of an unknown city"] == 1
    assert skipped["commune: not an object"] == 1
    assert report.notes["commune: malformed postal code dropped"]["count"] == 1
    with Session(engine) as session:
        roubaix = session.get(Commune, "59512")
        assert roubaix is not None
        assert roubaix.name == "Roubaix"


def test_a_failure_while_writing_leaves_the_previous_data_intact(
    engine: Engine, fixture_files: SourceFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import(engine, fixture_files)
    before = _snapshot(engine)
    real_insert = importer._insert

    def failing_insert(session: Session, model: type[Base], rows: Any) -> None:
        if model is Coverage:
            raise OperationalError("INSERT", {}, Exception("disk full"))
        real_insert(session, model, rows)

    monkeypatch.setattr(importer, "_insert", failing_insert)

    with pytest.raises(ImportAbortedError, match="nothing was changed"):
        run_import(engine, fixture_files)

    assert _snapshot(engine) == before
    with Session(engine) as session:
        last = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert last is not None
    assert last.status == ImportStatus.FAILED
    assert last.error is not None
    assert "OperationalError" in last.error


def test_an_unreadable_coverage_map_leaves_the_previous_data_intact(
    engine: Engine, fixture_files: SourceFiles, tmp_path: Path
) -> None:
    run_import(engine, fixture_files)
    before = _snapshot(engine)
    folder = _copy_fixtures(tmp_path)
    (folder / COVERAGE_FILE).write_text(
        "commune;structure\n59512;x\n", encoding="utf-8"
    )

    with pytest.raises(SourceError, match="Expected coverage map columns"):
        run_import(engine, SourceFiles.discover(folder))

    assert _snapshot(engine) == before


def test_a_truncated_communes_file_is_refused_unless_allowed(
    engine: Engine, fixture_files: SourceFiles, tmp_path: Path
) -> None:
    run_import(engine, fixture_files)
    before = _snapshot(engine)
    folder = _copy_fixtures(tmp_path)
    path = folder / "communes_2026.json"
    communes = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(communes[:400]), encoding="utf-8")
    (folder / COVERAGE_FILE).unlink()
    files = SourceFiles.discover(folder)

    with pytest.raises(ImportAbortedError, match="looks truncated"):
        run_import(engine, files)
    assert _snapshot(engine) == before

    report = run_import(engine, files, allow_shrink=True)
    assert report.counts["communes"] < len(before["communes"])


def test_a_full_coverage_map_is_preferred_to_the_sample(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    full = folder / "national" / "zones_de_couverture_2027.csv"
    full.parent.mkdir()
    shutil.copy(folder / COVERAGE_FILE, full)

    assert SourceFiles.discover(folder).coverage == full


def test_a_coverage_map_given_explicitly_is_used(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    chosen = tmp_path / "elsewhere.csv"
    shutil.copy(folder / COVERAGE_FILE, chosen)

    assert SourceFiles.discover(folder, chosen).coverage == chosen


def test_a_coverage_map_saved_by_a_spreadsheet_is_accepted(
    engine: Engine, tmp_path: Path
) -> None:
    folder = _copy_fixtures(tmp_path)
    path = folder / COVERAGE_FILE
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    # Comma separated, Windows encoding, columns in another order, upper case.
    columns = list(reversed(rows[0]))
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[c.upper() for c in columns],
            delimiter=",",
            extrasaction="ignore",
        )
        writer.writeheader()
        for row in rows:
            writer.writerow({k.upper(): v for k, v in row.items()})

    report = run_import(engine, SourceFiles.discover(folder))

    assert report.counts["coverage"] == len(rows)
    with Session(engine) as session:
        ml = session.get(MissionLocale, "69259")
    assert ml is not None
    assert ml.city == "Vénissieux"


def test_a_missing_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "communes_2026.json").unlink()

    with pytest.raises(SourceError, match=r"communes_\*\.json.*README"):
        SourceFiles.discover(folder)


def test_a_database_without_the_tables_is_refused_clearly(
    tmp_path: Path, fixture_files: SourceFiles
) -> None:
    bare = create_engine_for(f"sqlite:///{tmp_path / 'bare.db'}")

    with pytest.raises(ImportAbortedError, match="migrated"):
        run_import(bare, fixture_files)
    bare.dispose()


def test_progress_is_reported_for_every_stage(
    engine: Engine, fixture_files: SourceFiles
) -> None:
    seen: dict[str, tuple[int, int]] = {}

    run_import(
        engine,
        fixture_files,
        progress=lambda stage, done, total: seen.update({stage: (done, total)}),
    )

    assert set(seen) == {
        "Communes",
        "Coordinates",
        "Missions Locales",
        "Coverage map",
        "Writing",
    }
    assert all(done == total for done, total in seen.values())
