"""The lip-sync driving signal and the sync-score arithmetic, without any model."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.audio import Audio
from polydub.engines.face.store import LandmarkStore
from polydub.engines.face.tracking import OneEuroFilter, SmoothingOptions
from polydub.engines.lipsync.visemes import track_from_audio, track_from_phonemes, viseme_of
from polydub.media.envelope import speech_envelope
from polydub.pipeline.sync_score import lagged_correlation, score_series

FPS = 25.0


def test_visemes_close_for_bilabials_and_open_for_open_vowels():
    assert viseme_of("m")[0] == 0.0
    assert viseme_of("ˈa")[0] == 1.0  # a stress mark does not hide the vowel
    assert viseme_of("uː")[1] < 1.0  # rounded: narrower
    assert viseme_of("iː")[1] > 1.0  # spread: wider


def test_phoneme_track_opens_on_vowels_closes_on_m_and_in_pauses():
    # "ma ... pa": m 0.0-0.1, a 0.1-0.3, a pause, p 0.8-0.9, a 0.9-1.1
    phonemes = [("m", 0.0, 0.1), ("a", 0.1, 0.3), ("p", 0.8, 0.9), ("a", 0.9, 1.1)]
    track = track_from_phonemes(phonemes, 100.0, 130)
    assert track.opening[5] < 0.2  # during m
    assert track.opening[20] > 0.9  # middle of a
    assert track.opening[55] == 0.0  # the pause
    assert track.opening[85] < 0.2  # during p
    assert track.opening[125] == 0.0  # after the speech


def test_audio_track_follows_loudness_and_closes_in_silence():
    rate = 16000
    t = np.arange(rate * 2) / rate
    loud = np.sin(2 * np.pi * 200 * t) * (t < 1.0)
    track = track_from_audio(Audio(loud.astype(np.float32), rate), FPS, 50)
    assert track.opening[:24].min() > 0.8
    assert track.opening[26:].max() == 0.0


def test_silent_audio_gives_a_closed_mouth():
    track = track_from_audio(Audio.silence(1.0, 16000), FPS, 25)
    assert not track.opening.any()


def test_envelope_is_rms_per_frame():
    rate = 1000
    samples = np.concatenate([np.full(40, 0.5), np.zeros(40)]).astype(np.float32)
    env = speech_envelope(Audio(samples, rate), FPS, 2)
    assert env == pytest.approx([0.5, 0.0])


@pytest.mark.parametrize("lag", [-3, 0, 2])
def test_sync_score_finds_a_known_lag(lag):
    rng = np.random.default_rng(0)
    envelope = np.convolve(rng.random(300), np.ones(4) / 4, mode="same")
    mouth = np.roll(envelope, lag)  # mouth[t] = envelope[t - lag]
    score = score_series(mouth, envelope, FPS)
    assert score.lag_frames == lag
    assert score.correlation > 0.95


def test_sync_score_ignores_frames_without_a_face():
    rng = np.random.default_rng(1)
    envelope = rng.random(200)
    mouth = envelope.copy()
    mouth[50:120] = np.nan
    score = score_series(mouth, envelope, FPS)
    assert score.correlation == pytest.approx(1.0) and score.face_frames == 130


def test_unrelated_series_score_low():
    rng = np.random.default_rng(2)
    lags, corr = lagged_correlation(rng.random(500), rng.random(500), 5)
    assert len(lags) == 11 and np.nanmax(np.abs(corr)) < 0.2


def test_one_euro_filter_settles_on_a_still_value_and_smooths_noise():
    rng = np.random.default_rng(3)
    smooth = OneEuroFilter(SmoothingOptions())
    truth = np.array([100.0, 50.0])
    raw, out = [], []
    for i in range(100):
        x = truth + rng.normal(0, 1.0, 2)
        raw.append(x)
        out.append(smooth(x, i / FPS, scale=60.0))
    assert np.std(np.array(out)[20:], axis=0).max() < np.std(np.array(raw)[20:], axis=0).min()
    assert np.abs(np.mean(out[20:], axis=0) - truth).max() < 0.5


def test_landmark_store_gives_back_each_frames_faces(tmp_path):
    store = LandmarkStore(tmp_path)
    a, b = np.full((478, 2), 1.0), np.full((478, 2), 2.0)
    store.add(0, [(7, a)])
    store.add(2, [(7, b), (8, a)])
    assert store.frames == 3
    assert store.faces(1) == {}
    faces = store.faces(2)
    assert set(faces) == {7, 8} and faces[7][0, 0] == 2.0 and faces[8][5, 1] == 1.0
    store.close()


def test_speech_track_keeps_lips_closed_on_bilabials_however_loud():
    from polydub.engines.lipsync.visemes import track_from_speech

    rate = 16000
    loud = Audio((0.5 * np.sin(2 * np.pi * 150 * np.arange(rate) / rate)).astype(np.float32), rate)
    # "a m a" over one loud second: the m sounds as loud as the vowels.
    phonemes = [("a", 0.06, 0.36), ("m", 0.36, 0.66), ("a", 0.66, 0.96)]
    track = track_from_speech(phonemes, loud, 100.0, 100)
    assert track.opening[15] > 0.8  # the first a (the mouth moves 60 ms ahead of the sound)
    assert track.opening[45] < 0.05  # the m: closed
    assert track.opening[75] > 0.8  # the second a
