"""Expose an internal tensor of an ONNX model as an extra graph output, without the onnx package.

Kokoro and Piper both predict how long each phoneme lasts, but their shipped exports only output
audio. Marking the duration tensor as a graph output is all it takes to read it (piper's own
`patch_voice_with_alignment` does the same), yet the `onnx` package would pull numpy>=2 here. An
ONNX file is a protobuf `ModelProto`, and protobuf lets a repeated field be appended anywhere, so
we append `GraphProto.output` (field 12) = `ValueInfoProto{name}` to the graph (field 7) bytes.
"""

from __future__ import annotations

_MODEL_GRAPH_FIELD = 7
_GRAPH_OUTPUT_FIELD = 12
_GRAPH_NODE_FIELD = 1
_NODE_OUTPUT_FIELD = 2
_NODE_OP_TYPE_FIELD = 4
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
