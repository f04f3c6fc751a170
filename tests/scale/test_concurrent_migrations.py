"""API machines and workers starting at once against a fresh PostgreSQL database all come up:
one migrates, the others wait for it (an advisory lock) instead of failing on its tables."""

from __future__ import annotations

import subprocess
import sys

MIGRATE = "import sys; from polydub.jobs.db import Database; Database(sys.argv[1]).migrate()"


def test_processes_migrating_one_database_at_once_all_succeed(postgres_url):
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, postgres_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], "\n".join(outputs)[-3000:]
