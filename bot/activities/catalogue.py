"""Loading the activity catalogue: the national file plus the local files.

The national catalogue ships with the code (``data/activities/catalogue.yml``)
and must be valid: CI checks it. Local files are what staff add for their
territory, one or more YAML files in ``MARAUDE_ACTIVITIES_LOCAL_DIR``; a bad
local file is reported and skipped, and never stops the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.activities.schema import CatalogueFile, Entry

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
CATALOGUE_FILE = DATA_DIR / "activities" / "catalogue.yml"
VOCABULARY_FILE = DATA_DIR / "situation" / "vocabulary.yml"
LOCAL_PATTERNS = ("*.yml", "*.yaml")


class CatalogueError(ValueError):
    """A catalogue file cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class Codes:
    """The interest and need codes entries may use (the situation vocabulary)."""

    interests: frozenset[str]
    needs: frozenset[str]


@lru_cache(maxsize=1)
def vocabulary_codes(path: Path = VOCABULARY_FILE) -> Codes:
    """The interest and need codes of ``data/situation/vocabulary.yml``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Codes(interests=frozenset(data["interests"]), needs=frozenset(data["needs"]))


@dataclass(frozen=True)
class Activity:
    """An entry and where it comes from (``national`` or a local file name)."""

    entry: Entry
    origin: str

    @property
    def local(self) -> bool:
        return self.origin != "national"


@dataclass(frozen=True)
class Catalogue:
    """Every entry that can be suggested, and the problems met loading them."""

    activities: tuple[Activity, ...]
    problems: tuple[str, ...] = ()
    _by_id: dict[str, Activity] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update((a.entry.id, a) for a in self.activities)

    def get(self, activity_id: str) -> Activity | None:
        return self._by_id.get(activity_id)

    def __len__(self) -> int:
        return len(self.activities)


def _describe(error: ValidationError, raw: Any) -> list[str]:
    """One line per problem, naming the entry by its id when it has one."""
    lines = []
    for problem in error.errors():
        loc = list(problem["loc"])
        where = ".".join(str(part) for part in loc) or "(file)"
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
            entries = raw.get("entries") if isinstance(raw, dict) else None
            if isinstance(entries, list) and loc[1] < len(entries):
                item = entries[loc[1]]
                if isinstance(item, dict) and item.get("id"):
                    where = f"entry '{item['id']}' " + ".".join(map(str, loc[2:]))
        lines.append(f"{where.strip()}: {problem['msg']}")
    return lines


def read_file(path: Path, codes: Codes | None = None) -> CatalogueFile:
    """One catalogue file, validated.

    Raises:
        CatalogueError: naming the file and every problem found in it.
    """
    codes = codes or vocabulary_codes()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CatalogueError(f"{path}: cannot be read ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise CatalogueError(f"{path}: not UTF-8 text ({err.reason})") from err
    except yaml.YAMLError as err:
        raise CatalogueError(f"{path}: not valid YAML: {err}") from err
    try:
        return CatalogueFile.model_validate(
            raw, context={"interests": codes.interests, "needs": codes.needs}
        )
    except ValidationError as err:
        problems = "\n  ".join(_describe(err, raw))
        raise CatalogueError(f"{path}:\n  {problems}") from err


def local_files(folder: Path) -> list[Path]:
    """The local catalogue files of ``folder``, by name; none if it is missing."""
    if not folder.is_dir():
        return []
    found = {path for pattern in LOCAL_PATTERNS for path in folder.glob(pattern)}
    return sorted(path for path in found if path.is_file())


def load_catalogue(
    national: Path = CATALOGUE_FILE,
    local_dir: Path | None = None,
    codes: Codes | None = None,
) -> Catalogue:
    """The national catalogue plus the valid local files of ``local_dir``.

    A local file that cannot be read or validated is skipped whole (half a
    file would be worse than none); a local entry whose id is already taken
    is skipped alone. Both are logged and listed in ``problems``.

    Raises:
        CatalogueError: when the national catalogue itself is invalid.
    """
    activities = [
        Activity(entry, "national") for entry in read_file(national, codes).entries
    ]
    problems: list[str] = []
    taken = {activity.entry.id for activity in activities}
    for path in local_files(local_dir) if local_dir else []:
        try:
            entries = read_file(path, codes).entries
        except CatalogueError as err:
            problems.append(str(err))
            logger.warning("Local activities file skipped: %s", err)
            continue
        for entry in entries:
            if entry.id in taken:
                problem = f"{path}: entry '{entry.id}' skipped, the id is already used"
                problems.append(problem)
                logger.warning("%s", problem)
                continue
            taken.add(entry.id)
            activities.append(Activity(entry, path.name))
    return Catalogue(tuple(activities), tuple(problems))


def check_paths(paths: Sequence[Path], codes: Codes | None = None) -> list[str]:
    """Every problem in the given files or folders (their *.yml files)."""
    problems: list[str] = []
    for path in _expand(paths):
        try:
            read_file(path, codes)
        except CatalogueError as err:
            problems.append(str(err))
    return problems


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(local_files(path) if path.is_dir() else [path])
    return files


class CatalogueSource:
    """The catalogue as the action server sees it, reloaded when files change.

    Staff drop or edit a local file; the next suggestion uses it, without a
    restart. A stat of the folder per call is all it costs.

    Args:
        local_dir: the folder of local files (``MARAUDE_ACTIVITIES_LOCAL_DIR``).
        national: the national catalogue file.
    """

    def __init__(self, local_dir: Path | None, national: Path = CATALOGUE_FILE) -> None:
        self._local_dir = local_dir
        self._national = national
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._catalogue: Catalogue | None = None

    def _current_stamp(self) -> tuple[tuple[str, int, int], ...]:
        paths = [
            self._national,
            *(local_files(self._local_dir) if self._local_dir else []),
        ]
        stamp = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(stamp)

    def get(self) -> Catalogue:
        """The catalogue, loaded again if a file was added, changed or removed."""
        stamp = self._current_stamp()
        if self._catalogue is None or stamp != self._stamp:
            self._catalogue = load_catalogue(self._national, self._local_dir)
            self._stamp = stamp
            logger.info(
                "Activity catalogue loaded: %d entries, %d local problems",
                len(self._catalogue),
                len(self._catalogue.problems),
            )
        return self._catalogue
