"""SerialWorker: calls in order on one thread, bounded backlog, errors reach the caller."""

from __future__ import annotations

import threading
import time

import pytest

from polydub.pipeline.serial_worker import SerialWorker


def test_calls_run_in_order_on_one_other_thread():
    seen, threads = [], set()

    def record(i):
        seen.append(i)
        threads.add(threading.get_ident())

    with SerialWorker("t") as worker:
        for i in range(50):
            worker.submit(record, i)
    assert seen == list(range(50))
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_submit_blocks_when_the_backlog_is_full():
    release = threading.Event()
    waiting = []
    with SerialWorker("t", depth=2) as worker:
        worker.submit(release.wait)
        worker.submit(lambda: None)
        t = threading.Thread(target=lambda: (worker.submit(lambda: None), waiting.append(1)))
        t.start()
        t.join(0.3)
        assert waiting == []  # the third call waits for a slot
        release.set()
        t.join(5)
        assert waiting == [1]


def test_an_error_is_raised_in_the_caller():
    def fail():
        raise ValueError("landmarks failed")

    worker = SerialWorker("t")
    worker.submit(fail)
    with pytest.raises(ValueError, match="landmarks failed"):
        for _ in range(100):  # the next submit after the failure raises it
            worker.submit(time.sleep, 0.01)
        worker.close()
    worker.abandon()


def test_an_exit_by_an_exception_drops_the_calls_not_started():
    ran = []
    gate = threading.Event()
    threading.Timer(1.0, gate.set).start()  # the running call ends a second later
    with pytest.raises(RuntimeError), SerialWorker("t", depth=10) as worker:
        worker.submit(gate.wait, 5)
        for i in range(5):
            worker.submit(ran.append, i)
        raise RuntimeError("cancelled")
    assert gate.is_set()  # the running call was waited for
    assert ran == []
