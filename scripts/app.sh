#!/usr/bin/env bash
# Set up and run the app on the bundled checkpoint and examples: http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -r requirements.txt
exec python -m streamlit run app.py --server.headless true "$@"  # headless: no first-run e-mail prompt
