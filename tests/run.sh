#!/usr/bin/env bash
# Installs everything the tests need and runs the whole suite: lint, types, import rules,
# then pytest. This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${CALLCENTER_VENV:-.venv}

# A virtual environment keeps the machine's own Python untouched; where venv is missing
# (Debian without python3-venv) the interpreter itself is used.
if [ ! -x "$VENV/bin/python" ] && ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    echo "run.sh: no venv module; installing into $PY itself" >&2
    VENV=""
fi
if [ -n "$VENV" ]; then BIN="$VENV/bin/"; RUN="$VENV/bin/python"; else BIN=""; RUN="$PY"; fi

# The database tests run on PostgreSQL too: they start a throwaway server from the Debian
# package's binaries (tests/pg.py), never the cluster the package manages. The browser tests
# drive Debian's chromium headless (Playwright cannot download its own browsers here).
APT=()
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
    APT+=(postgresql)
fi
if ! command -v chromium >/dev/null; then APT+=(chromium); fi
# The prompt tests make sounds with espeak-ng and sox, as `callcenter prompts build` does.
for tool in espeak-ng sox; do command -v "$tool" >/dev/null || APT+=("$tool"); done
# The real-Asterisk tests (tests/real_asterisk) run the build in ../shared/asterisk (its
# README names these runtime libraries); without that folder they skip, or fail under CI.
if compgen -G "../shared/asterisk/asterisk-*.tar.xz" >/dev/null; then
    for lib in libjansson4 libedit2 libsrtp2-1 libxml2 libxslt1.1 libsqlite3-0 libssl3 libuuid1 \
        libcurl4 libpcap0.8 libncursesw6 libicu72; do
        dpkg -s "$lib" >/dev/null 2>&1 || APT+=("$lib")
    done
fi
if [ ${#APT[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing from Debian for the tests: ${APT[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT[@]}" >/dev/null
fi

echo "== installing the package with its test and benchmark extras"
"$RUN" -m pip install --quiet --disable-pip-version-check --upgrade pip
# The versions come from the lock (requirements/constraints.txt; the README says how to
# refresh it), so CI tests what a developer and the Docker image have.
"$RUN" -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt \
    -e '.[test,bench]'

echo "== ruff"
"$RUN" -m ruff check .
"$RUN" -m ruff format --check .
echo "== mypy --strict"
"$RUN" -m mypy
echo "== import rules"
"${BIN}lint-imports"
echo "== pytest"
if [ $# -eq 0 ] && [ -d tests/real_asterisk ]; then
    # The whole suite. The real-Asterisk tests, and the simulator's end-to-end and cluster
    # tests, spend most of their time waiting (prompts play in real time, calls ring and
    # talk), so each runs in a process of its own beside the unit, integration and web
    # tests: the machine's two cores stay busy and the run keeps within CI's 20 minutes
    # (one process for all but the real Asterisk took 13 min; serially pytest took over
    # 20). The browser tests go first, alone: chromium beside a starting Asterisk missed
    # its timeouts. The run fails if any part fails; each part's output is printed whole.
    status=0
    "$RUN" -m pytest -q tests/browser || status=$?
    real_log=$(mktemp)
    calls_log=$(mktemp)
    "$RUN" -m pytest -q -p no:cacheprovider tests/real_asterisk >"$real_log" 2>&1 &
    real_pid=$!
    "$RUN" -m pytest -q -p no:cacheprovider tests/e2e tests/cluster >"$calls_log" 2>&1 &
    calls_pid=$!
    "$RUN" -m pytest -q --ignore=tests/real_asterisk --ignore=tests/browser \
        --ignore=tests/e2e --ignore=tests/cluster || status=$?
    calls_status=0
    wait "$calls_pid" || calls_status=$?
    real_status=0
    wait "$real_pid" || real_status=$?
    echo "== pytest tests/e2e tests/cluster (ran beside the rest)"
    cat "$calls_log"
    echo "== pytest tests/real_asterisk (ran beside the rest)"
    cat "$real_log"
    rm -f "$real_log" "$calls_log"
    for part in "$status" "$calls_status" "$real_status"; do
        if [ "$part" -ne 0 ]; then exit "$part"; fi
    done
    exit 0
fi
"$RUN" -m pytest -q "$@"
