#!/usr/bin/env bash
# Set up and run the app on the bundled checkpoint and examples: http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
use_venv requirements.txt  # .venv in the checkout; pip runs only when requirements.txt changed
# glibc gives every thread (Streamlit runs each session in one) its own malloc arena and keeps them:
# two arenas cut the memory left after ten sessions from +18 % to +6 % (scripts/load.py, README).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec python -m streamlit run app.py --server.headless true "$@"  # headless: no first-run e-mail prompt
