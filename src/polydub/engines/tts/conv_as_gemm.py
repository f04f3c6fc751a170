"""Kokoro's int8 convolutions rewritten as im2col + MatMulInteger with signed weights.

The shipped Kokoro export is dynamically quantised: every convolution is a `ConvInteger` of
uint8 activations and uint8 weights, two thirds of a synthesis. onnxruntime's u8 x u8 kernel
cannot use the CPU's VNNI dot products (they take u8 x s8), and its ConvInteger takes no int8
weights on a fast path. Its `MatMulInteger` does: with the weights shifted to int8 (w - 128,
zero point - 128: the same integers) and the input unfolded into a (time, taps x channels)
matrix in the graph (one Gather), each convolution is one u8 x s8 GEMM with the same int32
sums. On an AVX-512 VNNI Xeon three Spanish lines (18 s of speech) took 5.2 s of CPU instead
of 10.3, sample for sample the same audio. Where the CPU has no VNNI, onnxruntime's u8 x s8
kernel adds pairs of products in int16 and can saturate: `gemm_is_exact` finds out on random
data and the caller keeps the shipped model.
"""

from __future__ import annotations

import numpy as np

# Enough time steps and full-range values to make an inexact u8 x s8 kernel show itself:
# a saturating one (int16 sums of pairs of products) overflows on most of these.
_CHECK_CHANNELS, _CHECK_TAPS, _CHECK_STEPS = 64, 5, 256


def rewrite_conv_integers(model_bytes: bytes) -> tuple[bytes, int]:
    """The model with every 1-D, stride-1, ungrouped `ConvInteger` of constant uint8 weights
    and a scalar weight zero point replaced by its GEMM form; and how many were replaced.
    Other ConvIntegers (strided, grouped, per-channel zero points) stay as they are."""
    import onnx

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    nodes, replaced = [], 0
    for node in graph.node:
        weights = _rewritable_weights(node, initializers)
        if weights is None:
            nodes.append(node)
            continue
        new_nodes, new_initializers = _gemm_form(node, weights, initializers[node.input[3]])
        nodes.extend(new_nodes)
        graph.initializer.extend(new_initializers)
        replaced += 1
    del graph.node[:]
    graph.node.extend(nodes)
    _drop_unused_initializers(graph)
    return model.SerializeToString(), replaced


def gemm_is_exact(ort) -> bool:
    """Whether onnxruntime's u8 x s8 MatMulInteger gives this CPU exactly ConvInteger's sums:
    one random convolution run both ways."""
    rng = np.random.default_rng(0)
    c, k = _CHECK_CHANNELS, _CHECK_TAPS
    weights = rng.integers(0, 256, (c, c, k), dtype=np.uint8)
    original = conv_integer_model(weights, 3, kernel_shape=[k], pads=[k // 2, k // 2])
    rewritten, _ = rewrite_conv_integers(original)
    feeds = {
        "x": rng.integers(0, 256, (1, c, _CHECK_STEPS), dtype=np.uint8),
        "x_zero": np.array(250, np.uint8),
    }
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sums = []
    for model in (original, rewritten):
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        sums.append(session.run(None, feeds)[0])
    return bool(np.array_equal(sums[0], sums[1]))


def conv_integer_model(weights: np.ndarray, w_zero: int, **attrs) -> bytes:
    """A model of one ConvInteger of (out, in, taps) uint8 `weights` (attributes as ONNX names
    them): inputs x (batch, in, time) and its scalar zero point x_zero, output y (int32)."""
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node("ConvInteger", ["x", "w", "x_zero", "w_zero"], ["y"], **attrs)
    graph = helper.make_graph(
        [node],
        "conv",
        [
            helper.make_tensor_value_info("x", TensorProto.UINT8, [None, weights.shape[1], None]),
            helper.make_tensor_value_info("x_zero", TensorProto.UINT8, []),
        ],
        [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array(w_zero, np.uint8), "w_zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def _rewritable_weights(node, initializers) -> np.ndarray | None:
    """The (out, in, taps) uint8 weights of a ConvInteger this module rewrites, else None."""
    from onnx import TensorProto, helper, numpy_helper

    if node.op_type != "ConvInteger" or node.domain not in ("", "ai.onnx") or len(node.input) < 4:
        return None
    weights, w_zero = initializers.get(node.input[1]), initializers.get(node.input[3])
    if weights is None or w_zero is None or len(weights.dims) != 3 or len(w_zero.dims) != 0:
        return None
    if weights.data_type != TensorProto.UINT8 or w_zero.data_type != TensorProto.UINT8:
        return None
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    if auto_pad not in (b"NOTSET", "NOTSET") or attrs.get("group", 1) != 1:
        return None
    if list(attrs.get("strides", [1])) != [1]:
        return None
    return numpy_helper.to_array(weights)


def _gemm_form(node, weights: np.ndarray, w_zero_tensor) -> tuple[list, list]:
    """Nodes and initializers computing `node`'s int32 output as
    transpose(unfold(pad(transpose(x))) @ shifted weights)."""
    from onnx import helper, numpy_helper

    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    _, in_channels, taps = weights.shape
    dilation = int(list(attrs.get("dilations", [1]))[0])
    pad_start, pad_end = (list(attrs.get("pads", [0, 0])) + [0, 0])[:2]
    x, _, x_zero, _ = node.input
    name = (node.name or node.output[0]) + "/gemm"

    def tensor(suffix: str, value: np.ndarray):
        return numpy_helper.from_array(value, f"{name}/{suffix}")

    # (taps x in) rows in the order the unfolded input's columns come: tap-major.
    shifted = (weights.astype(np.int16) - 128).astype(np.int8)
    b_matrix = np.ascontiguousarray(shifted.transpose(2, 1, 0).reshape(taps * in_channels, -1))
    w_zero = int(numpy_helper.to_array(w_zero_tensor)) - 128
    inits = [tensor("b", b_matrix), tensor("b_zero", np.array(w_zero, np.int8))]
    nodes = [helper.make_node("Transpose", [x], [f"{name}/xt"], perm=[0, 2, 1])]
    columns = f"{name}/xt"
    if taps > 1 or pad_start or pad_end:
        # Padding holds the input's zero point: it adds nothing to the sums, as in ConvInteger.
        inits.append(tensor("pads", np.array([0, pad_start, 0, 0, pad_end, 0], np.int64)))
        nodes.append(helper.make_node("Pad", [columns, f"{name}/pads", x_zero], [f"{name}/padded"]))
        # Row t of the unfolded input holds padded rows t, t + d, ... t + (taps - 1) d: one
        # Gather of a (time, taps) index grid, then the taps folded into the columns.
        span = dilation * (taps - 1)
        inits += [
            tensor("one", np.array([1], np.int64)),
            tensor("span", np.array(span, np.int64)),
            tensor("zero", np.array(0, np.int64)),
            tensor("step", np.array(1, np.int64)),
            tensor("offsets", (np.arange(taps, dtype=np.int64) * dilation)[None, :]),
            tensor("fold", np.array([0, 0, -1], np.int64)),
        ]
        nodes += [
            helper.make_node("Shape", [f"{name}/padded"], [f"{name}/shape"], start=1, end=2),
            helper.make_node("Squeeze", [f"{name}/shape"], [f"{name}/length"]),
            helper.make_node("Sub", [f"{name}/length", f"{name}/span"], [f"{name}/steps"]),
            helper.make_node(
                "Range", [f"{name}/zero", f"{name}/steps", f"{name}/step"], [f"{name}/t"]
            ),
            helper.make_node("Unsqueeze", [f"{name}/t", f"{name}/one"], [f"{name}/t1"]),
            helper.make_node("Add", [f"{name}/t1", f"{name}/offsets"], [f"{name}/rows"]),
            helper.make_node(
                "Gather", [f"{name}/padded", f"{name}/rows"], [f"{name}/taps"], axis=1
            ),
            helper.make_node("Reshape", [f"{name}/taps", f"{name}/fold"], [f"{name}/columns"]),
        ]
        columns = f"{name}/columns"
    nodes.append(
        helper.make_node(
            "MatMulInteger",
            [columns, f"{name}/b", x_zero, f"{name}/b_zero"],
            [f"{name}/yt"],
        )
    )
    nodes.append(helper.make_node("Transpose", [f"{name}/yt"], [node.output[0]], perm=[0, 2, 1]))
    return nodes, inits


def _drop_unused_initializers(graph) -> None:
    """Drop the weights only the replaced ConvIntegers read (subgraphs' reads count too)."""
    used = _names_read(graph)
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _names_read(graph) -> set[str]:
    from onnx import AttributeProto

    names = {output.name for output in graph.output}
    for node in graph.node:
        names.update(node.input)
        for attribute in node.attribute:
            if attribute.type == AttributeProto.GRAPH:
                names |= _names_read(attribute.g)
            elif attribute.type == AttributeProto.GRAPHS:
                for subgraph in attribute.graphs:
                    names |= _names_read(subgraph)
    return names
