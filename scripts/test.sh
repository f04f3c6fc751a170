#!/usr/bin/env bash
# Set up, then run the whole test suite: unit, integration on the real bundled models, and
# end to end through the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --dev  # the runtime packages and the test tools
.venv/bin/ruff check src tests
exec .venv/bin/python -m pytest -ra -q "$@"
