#!/usr/bin/env bash
# Set up and run every test (the README's test command). Browser tests use Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
use_venv requirements-dev.txt requirements.txt  # .venv in the checkout; pip runs only when they changed
# Two worker processes (pytest-xdist), a module to a worker (the browser tests share one app server).
python -m pytest -q -n 2 --dist loadscope "$@"
