"""Time the place resolver on the imported data (not a test: needs the import).

.venvs/app/bin/python scripts/bench_places.py [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy.orm import Session

from bot.config import get_settings
from bot.db.engine import create_engine_for
from bot.orientation.missions_locales import load_directory
from bot.orientation.places import load_index

REPEATS = 50
TYPED = [
    "roubaix", "59100", "st denis 93", "marseille 13e", "Lyon 3", "paris 11",
    "villeneuve d ascq", "saint etienne", "sur roubaix", "j'habite à lille",
    "saint denis", "villeneuve", "montreuil", "lile", "tourcoin", "marseile",
    "moubaix", "aubervilier", "13003", "75116", "93", "seine saint denis",
    "azerty", "je sais pas", "j'habite sur lille depuis 3 ans", "59999 lille",
]  # fmt: skip
MILLISECONDS = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    url = parser.parse_args().database_url or get_settings().database_url
    engine = create_engine_for(url)

    start = time.perf_counter()
    with Session(engine) as session:
        index = load_index(session)
        directory = load_directory(session)
    print(f"loaded {len(index)} places, {len(directory)} Missions Locales "
          f"in {time.perf_counter() - start:.2f} s")  # fmt: skip

    timings: dict[str, list[float]] = {}
    for text in TYPED:
        index.resolve(text)  # warm up
        runs = timings.setdefault(text, [])
        for _ in range(REPEATS):
            began = time.perf_counter()
            index.resolve(text)
            runs.append((time.perf_counter() - began) * MILLISECONDS)

    everything = sorted(t for runs in timings.values() for t in runs)
    slowest = max(timings, key=lambda text: statistics.median(timings[text]))
    print(
        f"{len(everything)} lookups: median {statistics.median(everything):.3f} ms, "
        f"p95 {everything[int(len(everything) * 0.95)]:.3f} ms, "
        f"max {everything[-1]:.3f} ms; slowest text {slowest!r} "
        f"(median {statistics.median(timings[slowest]):.3f} ms)"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
