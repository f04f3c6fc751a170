"""Expose an internal tensor of an ONNX model as an extra graph output, without the onnx package.

Kokoro and Piper both predict how long each phoneme lasts, but their shipped exports only output
audio. Marking the duration tensor as a graph output is all it takes to read it (piper's own
`patch_voice_with_alignment` does the same), and it needs no parse of a 90 MB model by the
`onnx` package at every start (that package only rewrites Kokoro once: conv_as_gemm). An ONNX
file is a protobuf `ModelProto`, and protobuf lets a repeated field be appended anywhere, so
we append `GraphProto.output` (field 12) = `ValueInfoProto{name}` to the graph (field 7) bytes.
"""

from __future__ import annotations

_MODEL_GRAPH_FIELD = 7
_GRAPH_OUTPUT_FIELD = 12
_GRAPH_NODE_FIELD = 1
_NODE_OUTPUT_FIELD = 2
_NODE_OP_TYPE_FIELD = 4
_NODE_ATTRIBUTE_FIELD = 5
_GRAPH_INITIALIZER_FIELD = 5
_TENSOR_NAME_FIELD = 8
_ATTRIBUTE_GRAPH_FIELDS = (6, 11)  # AttributeProto.g, .graphs
_VALUE_INFO_NAME_FIELD = 1
_LENGTH_DELIMITED = 2


def _read_varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _varint((field << 3) | _LENGTH_DELIMITED) + _varint(len(payload)) + payload


def _skip_field(data: memoryview, pos: int, wire_type: int) -> int:
    if wire_type == 0:
        return _read_varint(data, pos)[1]
    if wire_type == 1:
        return pos + 8
    if wire_type == 2:
        length, pos = _read_varint(data, pos)
        return pos + length
    if wire_type == 5:
        return pos + 4
    raise ValueError(f"unsupported protobuf wire type {wire_type} in ONNX model")


def _fields(data: memoryview):
    """Yield (field number, wire type, value start, value end) of one protobuf message."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == _LENGTH_DELIMITED:
            length, start = _read_varint(data, pos)
            pos = start + length
            yield field, wire_type, start, pos
        else:
            start = pos
            pos = _skip_field(data, pos, wire_type)
            yield field, wire_type, start, pos


def node_outputs(model: bytes, op_type: str) -> list[str]:
    """Names of the tensors produced by the top-level graph's nodes of type `op_type`."""
    view = memoryview(model)
    names: list[str] = []
    for field, wire_type, start, end in _fields(view):
        if field != _MODEL_GRAPH_FIELD or wire_type != _LENGTH_DELIMITED:
            continue
        for g_field, g_wire, g_start, g_end in _fields(view[start:end]):
            if g_field != _GRAPH_NODE_FIELD or g_wire != _LENGTH_DELIMITED:
                continue
            node = view[start + g_start : start + g_end]
            outputs, node_type = [], None
            for n_field, n_wire, n_start, n_end in _fields(node):
                if n_wire != _LENGTH_DELIMITED:
                    continue
                if n_field == _NODE_OUTPUT_FIELD:
                    outputs.append(bytes(node[n_start:n_end]).decode())
                elif n_field == _NODE_OP_TYPE_FIELD:
                    node_type = bytes(node[n_start:n_end]).decode()
            if node_type == op_type:
                names.extend(outputs)
    return names


def add_graph_outputs(model: bytes, tensor_names: list[str]) -> bytes:
    """Return a copy of the serialized ONNX `model` with `tensor_names` as extra graph outputs.

    Args:
        model: the bytes of an ONNX ModelProto.
        tensor_names: names of intermediate tensors to expose; onnxruntime infers their types.

    Returns:
        The patched model bytes, loadable with `onnxruntime.InferenceSession(bytes)`.

    Raises:
        ValueError: the bytes hold no graph (not an ONNX model).
    """
    view = memoryview(model)
    extra = b"".join(
        _length_delimited(
            _GRAPH_OUTPUT_FIELD, _length_delimited(_VALUE_INFO_NAME_FIELD, name.encode())
        )
        for name in tensor_names
    )
    pos = 0
    while pos < len(view):
        field_start = pos
        key, pos = _read_varint(view, pos)
        field, wire_type = key >> 3, key & 7
        if field == _MODEL_GRAPH_FIELD and wire_type == _LENGTH_DELIMITED:
            length, body_start = _read_varint(view, pos)
            body_end = body_start + length
            graph = bytes(view[body_start:body_end]) + extra
            return (
                bytes(view[:field_start])
                + _length_delimited(_MODEL_GRAPH_FIELD, graph)
                + bytes(view[body_end:])
            )
        pos = _skip_field(view, pos, wire_type)
    raise ValueError("no graph found: not an ONNX model")


def _field_spans(data: memoryview):
    """Yield (field number, wire type, field start, value start, field end) of one message."""
    pos = 0
    while pos < len(data):
        field_start = pos
        key, pos = _read_varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == _LENGTH_DELIMITED:
            length, value_start = _read_varint(data, pos)
            pos = value_start + length
        else:
            value_start = pos
            pos = _skip_field(data, pos, wire_type)
        yield field, wire_type, field_start, value_start, pos


def _strings(data: memoryview, field: int) -> list[str]:
    return [
        bytes(data[start:end]).decode()
        for f, wire, _, start, end in _field_spans(data)
        if f == field and wire == _LENGTH_DELIMITED
    ]


def _subgraph_inputs(node: memoryview) -> set[str]:
    """Every tensor name a node's subgraphs (If/Loop/Scan bodies) read, outer scope included."""
    names: set[str] = set()
    for field, wire, _, start, end in _field_spans(node):
        if field != _NODE_ATTRIBUTE_FIELD or wire != _LENGTH_DELIMITED:
            continue
        for a_field, a_wire, _, a_start, a_end in _field_spans(node[start:end]):
            if a_field in _ATTRIBUTE_GRAPH_FIELDS and a_wire == _LENGTH_DELIMITED:
                graph = node[start:end][a_start:a_end]
                for g_field, _, _, g_start, g_end in _field_spans(graph):
                    if g_field == _GRAPH_NODE_FIELD:
                        sub = graph[g_start:g_end]
                        names |= set(_strings(sub, 1)) | _subgraph_inputs(sub)
    return names


def only_graph_outputs(model: bytes, tensor_names: list[str]) -> bytes:
    """A copy of `model` that computes `tensor_names` alone: its graph outputs are those
    tensors and every node they do not depend on is left out (Kokoro's duration predictor
    without its decoder; ONNX Runtime would otherwise run every node).

    Raises:
        ValueError: the bytes hold no graph (not an ONNX model).
    """
    view = memoryview(model)
    for field, wire_type, field_start, start, end in _field_spans(view):
        if field != _MODEL_GRAPH_FIELD or wire_type != _LENGTH_DELIMITED:
            continue
        graph = view[start:end]
        fields = list(_field_spans(graph))
        # Nodes are stored in topological order: walk back from the wanted tensors.
        needed, keep = set(tensor_names), set()
        for k in reversed(range(len(fields))):
            g_field, _, _, g_start, g_end = fields[k]
            if g_field != _GRAPH_NODE_FIELD:
                continue
            node = graph[g_start:g_end]
            if needed & set(_strings(node, _NODE_OUTPUT_FIELD)):
                keep.add(k)
                needed |= set(_strings(node, 1)) | _subgraph_inputs(node)
        kept = b"".join(
            bytes(graph[f_start:f_end])
            for k, (g_field, _, f_start, v_start, f_end) in enumerate(fields)
            if k in keep
            or g_field not in (_GRAPH_OUTPUT_FIELD, _GRAPH_NODE_FIELD, _GRAPH_INITIALIZER_FIELD)
            or (
                g_field == _GRAPH_INITIALIZER_FIELD
                and needed & set(_strings(graph[v_start:f_end], _TENSOR_NAME_FIELD))
            )
        )
        rebuilt = (
            bytes(view[:field_start])
            + _length_delimited(_MODEL_GRAPH_FIELD, kept)
            + bytes(view[end:])
        )
        return add_graph_outputs(rebuilt, tensor_names)
    raise ValueError("no graph found: not an ONNX model")
