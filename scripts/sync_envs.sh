#!/usr/bin/env bash
# Create or update the two Python environments from the committed lock files.
# Idempotent: an environment whose lock did not change is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

if ! command -v uv >/dev/null 2>&1; then
    echo "» Installing uv (the package installer)…"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
fi

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

sync_env() {  # name, lock files...
    local name=$1; shift
    local venv=".venvs/$name" stamp
    stamp=$(stamp_of "$@" "$0")
    if [[ -f "$venv/.maraude-stamp" && "$(cat "$venv/.maraude-stamp")" == "$stamp" ]]; then
        return 0
    fi
    echo "» Environment '$name': installing from $* (first time: a few minutes)…"
    [[ -x "$venv/bin/python" ]] || uv venv --quiet --python "$PYTHON" "$venv"
    # The locks are complete: no resolution, exactly what was compiled.
    uv pip install --python "$venv/bin/python" --no-deps -r "$1"
    if [[ $name == rasa ]]; then
        # Rasa 3.6 declares Requires-Python <3.11 but runs on 3.11 with the
        # pinned set above (shared/ENGINEERING.md); install it past that check.
        uv pip install --python "$venv/bin/python" --no-deps --python-version 3.10 \
            rasa==3.6.21 rasa-sdk==3.6.2
    fi
    echo "$stamp" > "$venv/.maraude-stamp"
}

sync_env app requirements/app.lock
sync_env rasa requirements/rasa.lock
