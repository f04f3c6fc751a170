"""torch_threads: limits from several threads at once end with torch's count as it was."""

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from polydub.engines.torch_threads import torch_threads  # noqa: E402


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_nested_limits_take_the_lowest_and_restore(two_threads):
    with torch_threads(3):
        assert torch.get_num_threads() == 2  # a limit never raises the count
        with torch_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == 2


def test_interleaved_limits_from_two_threads_restore_the_count(two_threads):
    # A enters, B enters, A leaves first, B last: restoring each block's own "before" would
    # leave B's (1) for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with torch_threads(1):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with torch_threads(1):
            b_in.set()
            a_out.wait(5)
            seen["while b"] = torch.get_num_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["while b"] == 1  # B's limit holds after A left
    assert torch.get_num_threads() == 2


def test_resemblyzer_embeds_on_one_thread_and_leaves_the_count(two_threads, monkeypatch):
    from polydub.engines.voice.resemblyzer_encoder import ResemblyzerEncoder

    encoder = ResemblyzerEncoder()
    counts = []
    forward = encoder._encoder.forward

    def counted(x):
        counts.append(torch.get_num_threads())
        return forward(x)

    monkeypatch.setattr(encoder._encoder, "forward", counted)
    speech = np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1
    encoder.embed(speech)
    encoder.embed_windows(speech, np.array([0.8, 1.6]), 1.6)
    assert counts and set(counts) == {1}
    assert torch.get_num_threads() == 2
