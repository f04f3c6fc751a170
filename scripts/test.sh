#!/usr/bin/env bash
# Set up, then run the whole test suite: unit, integration on the real bundled models, and
# end to end through the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
# The voice banks the tests dub into with matching on (es, pt); fr's is built by the main
# setup for users, and no test needs it (a bank is about a minute of two cores).
POLYDUB_SETUP_VOICE_BANKS="${POLYDUB_SETUP_VOICE_BANKS:-es,pt}" \
    ./scripts/setup.sh --dev  # the runtime packages and the test tools
.venv/bin/ruff check src tests
# The slowest tests are listed at the end: where CI time goes (keep it under 40 minutes).
exec .venv/bin/python -m pytest -ra -q --durations=15 "$@"
