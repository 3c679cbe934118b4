"""The catalogue files: the shipped one is valid, local ones are checked the
same way, and a bad local file is reported and skipped, never fatal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.activities.catalogue import (
    CATALOGUE_FILE,
    CatalogueError,
    CatalogueSource,
    check_paths,
    load_catalogue,
    read_file,
)
from bot.activities.recommend import fold, load_wording
from bot.activities.schema import TELEGRAM_CALLBACK_MAX_BYTES, json_schema
from bot.config import PROJECT_ROOT, Settings

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "activities"
LOCAL = FIXTURES / "local"
BROKEN = FIXTURES / "broken"
SCHEMA_FILE = PROJECT_ROOT / "data" / "activities" / "schema.json"
EXAMPLE_FILE = PROJECT_ROOT / "data" / "activities" / "local.example.yml"

GOOD_ENTRY = """
  - id: {id}
    title: "Un atelier"
    kind: workshop
    summary: "Un atelier pour essayer."
    interests: [music]
    where:
      scope: department
      departments: ["59"]
    how_to_join: "Tu passes."
    first_step: "passer à l'atelier"
    checked_on: 2026-12-01
"""


def write_local(folder: Path, name: str, *ids: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    body = "".join(GOOD_ENTRY.format(id=entry_id) for entry_id in ids)
    path.write_text(f"version: 1\nentries:{body}", encoding="utf-8")
    return path


def test_the_shipped_catalogue_is_valid() -> None:
    parsed = read_file(CATALOGUE_FILE)

    assert len(parsed.entries) >= 10
    assert all(entry.where.scope in ("national", "online") for entry in parsed.entries)


def test_every_choose_button_payload_fits_in_a_telegram_callback() -> None:
    catalogue = load_catalogue(local_dir=LOCAL)

    for activity in catalogue.activities:
        payload = f'/choose_activity{{"activity_id":"{activity.entry.id}"}}'
        assert len(payload.encode()) <= TELEGRAM_CALLBACK_MAX_BYTES, payload


def test_an_id_too_long_for_a_telegram_button_is_refused(tmp_path: Path) -> None:
    path = write_local(tmp_path, "long.yml", "a" * 31)

    with pytest.raises(CatalogueError, match="id"):
        read_file(path)


def test_every_keyword_of_the_shipped_catalogue_has_its_french_phrase() -> None:
    words = load_wording().words
    entries = read_file(CATALOGUE_FILE).entries + read_file(LOCAL / "lille.yml").entries

    missing = {
        kw for entry in entries for kw in entry.keywords if fold(kw) not in words
    }
    assert missing == set()


def test_the_exported_json_schema_is_up_to_date() -> None:
    shipped = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

    assert shipped == json_schema(), (
        "run `.venvs/app/bin/python -m bot.activities schema --write`"
    )


def test_the_example_for_staff_is_valid_and_not_loaded_by_default() -> None:
    read_file(EXAMPLE_FILE)
    default_dir = Settings(_env_file=None).activities_local_dir

    assert EXAMPLE_FILE.parent != default_dir
    ids = {a.entry.id for a in load_catalogue(local_dir=default_dir).activities}
    assert not any(entry.id in ids for entry in read_file(EXAMPLE_FILE).entries)


def test_local_entries_are_added_to_the_national_ones() -> None:
    catalogue = load_catalogue(local_dir=LOCAL)

    foot = catalogue.get("test-lille-foot-salle")
    assert foot is not None
    assert foot.local
    assert foot.origin == "lille.yml"
    service_civique = catalogue.get("service-civique")
    assert service_civique is not None
    assert not service_civique.local
    assert catalogue.problems == ()


def test_a_bad_local_file_is_reported_and_skipped_and_the_good_ones_kept(
    tmp_path: Path,
) -> None:
    for path in BROKEN.iterdir():
        shutil.copy(path, tmp_path / path.name)
    write_local(tmp_path, "good.yml", "test-good")

    catalogue = load_catalogue(local_dir=tmp_path)

    assert catalogue.get("test-good") is not None
    assert catalogue.get("test-bad-place") is None
    assert len(catalogue.problems) == 2
    bad, not_yaml = sorted(catalogue.problems)
    assert "entry 'test-bad-place' where" in bad
    assert "scope 'commune' needs a list of communes" in bad
    assert "unknown skateboard" in bad
    assert "not valid YAML" in not_yaml


def test_a_local_entry_cannot_take_a_national_id(tmp_path: Path) -> None:
    write_local(tmp_path, "clash.yml", "service-civique", "test-mine")

    catalogue = load_catalogue(local_dir=tmp_path)

    assert catalogue.get("test-mine") is not None
    service_civique = catalogue.get("service-civique")
    assert service_civique is not None
    assert not service_civique.local
    assert catalogue.problems == (
        f"{tmp_path / 'clash.yml'}: entry 'service-civique' skipped, "
        "the id is already used",
    )


def test_a_missing_local_folder_means_no_local_entries(tmp_path: Path) -> None:
    catalogue = load_catalogue(local_dir=tmp_path / "nowhere")

    assert not any(activity.local for activity in catalogue.activities)
    assert catalogue.problems == ()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("kind", "party", "kind"),
        ("ages", "{min: 20, max: 18}", "min (20) is above max (18)"),
        ("ends_on", "2026-01-01", "ends_on (2026-01-01) is before checked_on"),
        ("link", "not a link", "link"),
        ("colour", "red", "Extra inputs are not permitted"),
    ],
)
def test_mistakes_in_an_entry_are_named(
    tmp_path: Path, field: str, value: str, expected: str
) -> None:
    path = write_local(tmp_path, "one.yml", "test-one")
    path.write_text(path.read_text() + f"    {field}: {value}\n", encoding="utf-8")

    with pytest.raises(CatalogueError, match="entry 'test-one'") as raised:
        read_file(path)
    assert expected in str(raised.value)


def test_a_new_or_changed_local_file_is_picked_up_without_a_restart(
    tmp_path: Path,
) -> None:
    source = CatalogueSource(tmp_path)
    assert source.get().get("test-new") is None

    path = write_local(tmp_path, "new.yml", "test-new")
    assert source.get().get("test-new") is not None

    write_local(tmp_path, "new.yml", "test-renamed")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    catalogue = source.get()
    assert catalogue.get("test-new") is None
    assert catalogue.get("test-renamed") is not None


def test_check_lists_every_problem_of_the_given_paths() -> None:
    problems = check_paths([BROKEN, LOCAL / "lille.yml", CATALOGUE_FILE])

    assert len(problems) == 2


def run_cli(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.activities", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def test_the_check_command_passes_on_the_shipped_catalogue_and_local_folder() -> None:
    result = run_cli("check", env={"MARAUDE_ACTIVITIES_LOCAL_DIR": str(LOCAL)})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s) valid" in result.stdout


def test_the_check_command_fails_naming_the_problems() -> None:
    result = run_cli("check", str(BROKEN))

    assert result.returncode == 1
    assert "bad.yml" in result.stdout
    assert "scope 'commune' needs a list of communes" in result.stdout
    assert "not-yaml.yml" in result.stdout
