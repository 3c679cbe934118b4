#!/usr/bin/env bash
# Every check, in the order that fails fastest. Ends with pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

APP=.venvs/app/bin
RASA=.venvs/rasa/bin
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=$PWD
mkdir -p results

step() { echo; echo "━━ $* ━━"; }

# Rasa is chatty (TensorFlow, deprecation warnings): keep its output in a log
# and show it only when the step fails.
quietly() {  # log name, command...
    local log="results/$1.log"; shift
    if "$@" >"$log" 2>&1; then
        echo "ok (log: $log)"
    else
        echo "FAILED; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        return 1
    fi
}

step "Lint and format (ruff)"
$APP/ruff check .
$APP/ruff format --check .

step "Types (mypy)"
$APP/mypy

step "Rasa components in the Rasa environment (pytest tests/rasa_env)"
$RASA/python -m pytest -c tests/rasa_env/pytest.ini tests/rasa_env -q

step "Rasa training data (rasa data validate)"
quietly validate $RASA/rasa data validate --fail-on-warnings --config config.yml \
    --domain domain --data data/nlu data/rules data/stories

step "Rasa model (trained only when the data changed)"
MODEL=$($RASA/python scripts/train_model.py | tail -n 1)
echo "Model: $MODEL"

step "Test stories (rasa test core --fail-on-prediction-errors)"
quietly stories $RASA/rasa test core --model "$MODEL" --stories tests/stories \
    --out results/stories --fail-on-prediction-errors

step "Unit and end-to-end tests (pytest)"
export MARAUDE_TEST_MODEL=$MODEL
exec $APP/python -m pytest -p no:cacheprovider "$@"
