"""Importing polydub makes OpenMP threads wait passively unless the user chose otherwise."""

import os
import subprocess
import sys


def _policy_after_import(env: dict[str, str]) -> str:
    code = "import os, polydub; print(os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_passive_by_default():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_after_import(env) == "PASSIVE"


def test_a_users_setting_wins():
    assert _policy_after_import({**os.environ, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
