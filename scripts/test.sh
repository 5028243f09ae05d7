#!/usr/bin/env bash
# Set up and run every test (the README's test command). Browser tests use Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
use_venv requirements-dev.txt requirements.txt  # .venv in the checkout; pip runs only when they changed
# Two worker processes (pytest-xdist), a module to a worker (its browser modules share one app server). The
# tests marked `serial` (two training processes under torchrun) run after them, alone: beside the other worker's
# app server and Chromium on two cores, torchrun's run stalled past its 10-minute limit twice.
if [ $# -gt 0 ]; then
  python -m pytest -q -n 2 --dist loadscope "$@"
else
  python -m pytest -q -n 2 --dist loadscope -m "not serial"
  python -m pytest -q -m serial
fi
