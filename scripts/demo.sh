#!/usr/bin/env bash
# Set up, generate a 20-second clip of a face talking, and dub it into Spanish and Portuguese
# (every stage shows, lip-sync included: the summary says what was redrawn).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p samples
[ -f samples/talk.mp4 ] || .venv/bin/polydub sample samples/talk.mp4 --seconds 20
.venv/bin/polydub translate samples/talk.mp4 --to Spanish --to Portuguese
ls -l samples/
