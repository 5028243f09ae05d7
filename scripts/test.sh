#!/usr/bin/env bash
# Set up and run every test (the README's test command). Browser tests use Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -r requirements-dev.txt
python -m pytest -q "$@"
