"""ConvInteger rewritten as im2col + u8 x s8 MatMulInteger: the same int32 sums."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from polydub.engines.tts.conv_as_gemm import (
    conv_integer_model,
    gemm_is_exact,
    rewrite_conv_integers,
)


def run(model: bytes, x: np.ndarray, x_zero: int) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x, "x_zero": np.array(x_zero, np.uint8)})[0]


# Kokoro's shapes in miniature: taps 1, 3, 7, 11; dilations 1, 3, 5; "same" and uneven pads.
@pytest.mark.parametrize(
    ("taps", "dilation", "pads"),
    [(1, 1, (0, 0)), (3, 1, (1, 1)), (7, 3, (9, 9)), (11, 5, (25, 25)), (3, 1, (2, 0))],
)
def test_rewritten_convolution_gives_the_same_sums(taps, dilation, pads):
    rng = np.random.default_rng(taps * 10 + dilation)
    # Weights within 64 of 128 and inputs under 128: no pair of u8 x s8 products reaches the
    # int16 limit, so even a CPU without VNNI must give exact sums; the test checks the
    # rewrite's arithmetic, not the CPU (gemm_is_exact does that).
    weights = rng.integers(64, 192, (12, 8, taps), dtype=np.uint8)
    x = rng.integers(0, 128, (2, 8, 50), dtype=np.uint8)  # a batch of two
    original = conv_integer_model(
        weights, 131, kernel_shape=[taps], dilations=[dilation], pads=list(pads), strides=[1]
    )
    rewritten, count = rewrite_conv_integers(original)
    assert count == 1
    ops = [node.op_type for node in helper_graph(rewritten).node]
    assert "ConvInteger" not in ops and "MatMulInteger" in ops
    assert "w" not in {init.name for init in helper_graph(rewritten).initializer}
    expected = run(original, x, 40)
    assert expected.shape == (2, 12, 50 + sum(pads) - dilation * (taps - 1))
    np.testing.assert_array_equal(run(rewritten, x, 40), expected)


def test_strided_and_grouped_convolutions_stay_as_they_are():
    weights = np.full((4, 2, 3), 130, np.uint8)
    strided = conv_integer_model(weights, 128, kernel_shape=[3], pads=[1, 1], strides=[2])
    grouped = conv_integer_model(np.full((4, 1, 3), 130, np.uint8), 128, kernel_shape=[3], group=2)
    for model in (strided, grouped):
        rewritten, count = rewrite_conv_integers(model)
        assert count == 0
        assert [n.op_type for n in helper_graph(rewritten).node] == ["ConvInteger"]


def test_the_exactness_check_agrees_with_full_range_sums_on_this_cpu():
    # Full-range values: exact where the CPU's u8 x s8 products add up in int32 (VNNI), off
    # where they add in pairs in int16 and saturate. The check must say which this CPU is.
    rng = np.random.default_rng(7)
    weights = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    x = rng.integers(0, 256, (1, 32, 200), dtype=np.uint8)
    original = conv_integer_model(weights, 2, kernel_shape=[3], pads=[1, 1], strides=[1])
    rewritten, _ = rewrite_conv_integers(original)
    expected = numpy_conv(x.astype(np.int64) - 250, weights.astype(np.int64) - 2)
    np.testing.assert_array_equal(run(original, x, 250), expected)
    assert gemm_is_exact(ort) == np.array_equal(run(rewritten, x, 250), expected)


def numpy_conv(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A 'same' 3-tap convolution of (1, in, t) by (out, in, 3), zero-padded, in int64."""
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    t = x.shape[2]
    return sum(
        np.einsum("oi,bit->bot", weights[:, :, k], padded[:, :, k : k + t]) for k in range(3)
    )


def helper_graph(model: bytes):
    import onnx

    return onnx.load_from_string(model).graph


@pytest.mark.parametrize("exact", [True, False])
def test_kokoro_uses_the_gemm_form_only_where_it_is_exact(tmp_path, monkeypatch, exact):
    import polydub.engines.tts.kokoro as kokoro

    model = tmp_path / "kokoro-v1.0.int8.onnx"
    model.write_bytes(
        conv_integer_model(np.full((4, 2, 3), 130, np.uint8), 128, kernel_shape=[3], pads=[1, 1])
    )
    stale = tmp_path / "kokoro-v1.0.int8.gemm0.onnx"
    stale.write_bytes(b"an earlier rewrite")
    monkeypatch.setattr(kokoro, "_gemm_exact_here", lambda ort: exact)

    chosen = kokoro._gemm_model(ort, model)

    if exact:
        assert chosen.name == "kokoro-v1.0.int8" + kokoro._GEMM_SUFFIX
        assert "MatMulInteger" in [n.op_type for n in helper_graph(chosen.read_bytes()).node]
        assert not stale.exists()
        assert kokoro._gemm_model(ort, model) == chosen  # built once, then read
    else:
        assert chosen == model
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([model.name, stale.name])


def test_kokoro_rewrites_again_when_the_model_was_assembled_anew(tmp_path, monkeypatch):
    import os

    import polydub.engines.tts.kokoro as kokoro

    model = tmp_path / "kokoro-v1.0.int8.onnx"
    model.write_bytes(
        conv_integer_model(np.full((4, 2, 3), 130, np.uint8), 128, kernel_shape=[3], pads=[1, 1])
    )
    monkeypatch.setattr(kokoro, "_gemm_exact_here", lambda ort: True)
    rewritten = kokoro._gemm_model(ort, model)
    os.utime(rewritten, (1_000_000, 1_000_000))  # older than the model: a stale rewrite
    kokoro._gemm_model(ort, model)
    assert rewritten.stat().st_mtime >= model.stat().st_mtime
