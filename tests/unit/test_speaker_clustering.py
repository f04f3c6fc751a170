"""Speaker counting and clustering on synthetic embeddings (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.pipeline.speaker_clustering import cluster_speakers, number_by_first_appearance


def _voices(n_voices: int, per_voice: int, noise: float, seed: int = 0):
    """Windows of `n_voices` voices taking turns, embeddings scattered around each voice."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_voices, 64))
    order = np.repeat(np.arange(n_voices), per_voice)
    rng.shuffle(order)
    x = centres[order] + noise * rng.standard_normal((len(order), 64))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, order


def _agree(labels, truth) -> bool:
    """Same partition up to renaming."""
    return len(set(zip(labels, truth, strict=True))) == len(set(truth)) == len(set(labels))


@pytest.mark.parametrize("n_voices", [2, 3, 4])
def test_count_is_estimated(n_voices):
    x, truth = _voices(n_voices, 25, noise=0.6)
    labels = cluster_speakers(x, np.ones(len(x)))
    assert _agree(labels, truth)
    assert labels[0] == 0 and sorted(set(labels)) == list(range(n_voices))


def test_one_voice_stays_one_speaker_even_when_more_are_asked_for():
    x, _ = _voices(1, 60, noise=0.6)
    assert set(cluster_speakers(x, np.ones(len(x)))) == {0}
    assert set(cluster_speakers(x, np.ones(len(x)), speakers=4)) == {0}


def test_speakers_larger_than_present_finds_those_present():
    x, truth = _voices(2, 30, noise=0.6, seed=3)
    labels = cluster_speakers(x, np.ones(len(x)), speakers=5)
    assert _agree(labels, truth)


def test_tiny_inputs():
    assert cluster_speakers(np.zeros((0, 8)), np.zeros(0)) == []
    one = np.eye(8)[:1]
    assert cluster_speakers(one, np.ones(1)) == [0]
    assert cluster_speakers(np.eye(8)[:2], np.ones(2), speakers=2) == [0, 0]


def test_numbering_by_first_appearance():
    assert number_by_first_appearance([5, 5, 2, 9, 2]) == [0, 0, 1, 2, 1]


def test_long_inputs_are_clustered_through_a_subset(monkeypatch):
    import polydub.pipeline.speaker_clustering as clustering

    monkeypatch.setattr(clustering, "MAX_CLUSTERED", 40)
    x, truth = _voices(3, 40, noise=0.6, seed=5)
    labels = cluster_speakers(x, np.ones(len(x)))
    assert _agree(labels, truth)


def _drifting_sentence(n: int, seed: int = 0):
    """One voice over a short sentence: overlapping windows whose embeddings drift along it
    (neighbours about 0.95 alike, the two ends about 0.75), as a 2.5 s sentence measures."""
    rng = np.random.default_rng(seed)
    start, end = rng.standard_normal(64), rng.standard_normal(64)
    end -= (end @ start) / (start @ start) * start  # orthogonal, so the ends can be placed
    start, end = start / np.linalg.norm(start), end / np.linalg.norm(end)
    angle = np.arccos(0.75)
    x = np.stack(
        [np.cos(angle * t) * start + np.sin(angle * t) * end for t in np.linspace(0, 1, n)]
    )
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_a_short_sentence_of_one_voice_stays_one_speaker():
    x = _drifting_sentence(9)
    assert cluster_speakers(x, np.full(9, 0.28)) == [0] * 9


def test_a_short_turn_of_a_clearly_other_voice_is_kept():
    x, _ = _voices(1, 20, noise=0.3)
    rng = np.random.default_rng(5)
    other = rng.standard_normal(64) + 0.3 * rng.standard_normal((3, 64))
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    x = np.concatenate([x[:10], other, x[10:]])
    weights = np.full(len(x), 0.3)  # the other voice: 0.9 s, a short "yes, exactly"
    labels = cluster_speakers(x, weights)
    assert labels == [0] * 10 + [1] * 3 + [0] * 10
