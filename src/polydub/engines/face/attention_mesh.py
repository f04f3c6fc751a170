"""FaceMesh's attention model (478 points, with refined lips, eyes and irises) on plain LiteRT.

The model file uses three MediaPipe custom operators that LiteRT does not have: one turns mesh
landmarks into a crop matrix, one crops a feature map with it (bilinear), one maps the refined
landmarks back. The graph is cut at those operators into stages that LiteRT runs, and the
three operators run here in numpy, following MediaPipe's definitions
(mediapipe/util/tflite/operations, the v2 kernels). The cut is made once per process, in
memory: the model file itself is read unchanged from the mediapipe wheel.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from flatbuffers import Builder, flexbuffers

from polydub.engines.face.face_models import default_threads, model_path

ATTENTION_MESH = "face_landmark/face_landmark_with_attention.tflite"
# The model's outputs, in pixels of its 192 px input: mesh 468, lips 80, eyes 71 each, irises 5.
OUTPUTS = (
    "output_mesh_identity",
    "output_lips",
    "output_left_eye",
    "output_right_eye",
    "output_left_iris",
    "output_right_iris",
    "conv_faceflag",
)


class AttentionMesh:
    """Runs the attention model: `run(image)` returns its outputs by name (see OUTPUTS)."""

    def __init__(self) -> None:
        plan = _model_plan()
        self._names, self._outputs = plan.names, plan.outputs
        self.input, self.input_size, self._refined = plan.input, plan.input_size, plan.refined
        self._steps = [
            (kind, _stage_interpreter(*step) if kind == "stage" else step)
            for kind, step in plan.steps
        ]

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The 478 points (x, y in input pixels) and the face score (0..1) for a 192 px face
        crop in [0, 1]."""
        out = self.run(image)
        points = np.zeros((478, 2), np.float32)
        points[:468] = out["output_mesh_identity"].reshape(468, 3)[:, :2]
        for name, where in self._refined.items():
            points[where] = out[name].reshape(len(where), 2)
        score = 1 / (1 + math.exp(-float(out["conv_faceflag"].ravel()[0])))
        return points, score

    def run(self, image: np.ndarray) -> dict[str, np.ndarray]:
        values: dict[int, np.ndarray] = {self.input: image[None].astype(np.float32, copy=False)}
        for kind, step in self._steps:
            if kind == "stage":
                interpreter, inputs, outputs = step
                for slot, tensor in inputs:
                    interpreter.set_tensor(slot, values[tensor])
                interpreter.invoke()
                for slot, tensor in outputs:
                    values[tensor] = interpreter.get_tensor(slot)
            else:
                name, inputs, outputs, options = step
                values[outputs[0]] = _CUSTOM[name]([values[t] for t in inputs], options)
        return {self._names[t]: values[t] for t in self._outputs}


@functools.lru_cache(maxsize=1)
def _model_plan() -> _ModelPlan:
    # Cutting the model takes about a second: once per process, not once per landmarker (the
    # lip-sync's scan and its sync check each have one).
    return _ModelPlan()


def _stage_interpreter(content: bytes, inputs: list[int], outputs: list[int]) -> tuple:
    """A LiteRT interpreter for one stage, with its (slot, tensor) input and output pairs."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content, num_threads=default_threads())
    interpreter.allocate_tensors()
    # LiteRT lists a model's inputs and outputs in the order the model gives them.
    slots_in = [d["index"] for d in interpreter.get_input_details()]
    slots_out = [d["index"] for d in interpreter.get_output_details()]
    return (
        interpreter,
        list(zip(slots_in, inputs, strict=True)),
        list(zip(slots_out, outputs, strict=True)),
    )


class _ModelPlan:
    """The model cut into stages (each a LiteRT model's bytes) and custom operator steps."""

    def __init__(self) -> None:
        from ai_edge_litert import schema_py_generated as schema

        data = model_path(ATTENTION_MESH).read_bytes()
        model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
        graph = model.subgraphs[0]
        self.names = {i: t.name.decode() for i, t in enumerate(graph.tensors)}
        self._constant = {
            i for i, t in enumerate(graph.tensors) if model.buffers[t.buffer].data is not None
        }
        custom = {}
        for index, op in enumerate(graph.operators):
            code = model.operatorCodes[op.opcodeIndex]
            if code.customCode:
                custom[index] = code.customCode.decode()
        self._producer = {t: i for i, op in enumerate(graph.operators) for t in op.outputs}
        self._graph, self._model, self._schema = graph, model, schema
        # Stages: LiteRT runs the plain operators between groups of custom ones.
        groups = _groups(sorted(custom))
        available = set(graph.inputs)
        self.steps: list[tuple[str, object]] = []
        for group in groups:
            made = {t for i in group for t in graph.operators[i].outputs}
            needed = {t for i in group for t in graph.operators[i].inputs}
            needed = sorted(needed - made - self._constant)
            self._add_stage(needed, available)
            for i in group:
                op = graph.operators[i]
                options = _options(op.customOptions)
                self.steps.append(
                    ("custom", (custom[i], list(op.inputs), list(op.outputs), options))
                )
                available |= set(op.outputs)
        outputs = [self._index(name) for name in OUTPUTS]
        self._add_stage(outputs, available)
        self._build_stages()
        del self._graph, self._model, self._schema, self._producer  # the stages hold copies
        self.outputs = outputs
        self.input = graph.inputs[0]
        self.input_size = int(graph.tensors[self.input].shape[2])
        # Where the refined points go in the 478: the landmarks each crop was cut around, in
        # the order the model returns them (lips; then each eye, named from the model's side).
        crops = {
            step[3]["left_rotation_idx"]: step[3]["subset_idxs"]
            for kind, step in self.steps
            if kind == "custom" and step[0] == "Landmarks2TransformMatrix"
        }
        self.refined = {
            "output_lips": list(crops[61]),
            "output_left_eye": list(crops[33]),
            "output_right_eye": list(crops[362]),
            "output_left_iris": list(range(468, 473)),
            "output_right_iris": list(range(473, 478)),
        }

    def _index(self, name: str) -> int:
        return next(i for i, n in self.names.items() if n == name)

    def _add_stage(self, targets: list[int], available: set[int]) -> None:
        """Plan a stage computing `targets` from tensors computed before it."""
        wanted = [t for t in targets if t not in available]
        ops, inputs, seen = set(), set(), set()
        stack = list(wanted)
        while stack:
            tensor = stack.pop()
            if tensor in seen or tensor in self._constant:
                continue
            seen.add(tensor)
            if tensor in available:
                inputs.add(tensor)
                continue
            op = self._producer[tensor]
            code = self._model.operatorCodes[self._graph.operators[op].opcodeIndex]
            if code.customCode:
                raise RuntimeError(f"{ATTENTION_MESH}: a LiteRT stage would need a custom operator")
            ops.add(op)
            stack.extend(t for t in self._graph.operators[op].inputs if t >= 0)
        if not wanted:
            return
        self.steps.append(("stage", (sorted(ops), sorted(inputs), wanted)))
        available |= {t for op in ops for t in self._graph.operators[op].outputs}

    def _build_stages(self) -> None:
        """Turn each planned stage into a LiteRT model; a stage also returns what later
        stages take from its inner tensors."""
        stages = [step for kind, step in self.steps if kind == "stage"]
        for n, (ops, _, outputs) in enumerate(stages):
            made = {t for op in ops for t in self._graph.operators[op].outputs}
            later = {t for _, inputs, _ in stages[n + 1 :] for t in inputs}
            later |= {t for kind, step in self.steps if kind == "custom" for t in step[1]}
            outputs.extend(sorted((later & made) - set(outputs)))
        for position, (kind, step) in enumerate(self.steps):
            if kind == "stage":
                ops, inputs, outputs = step
                content = _submodel(self._model, self._schema, ops, inputs, outputs)
                self.steps[position] = (kind, (content, inputs, outputs))


def _options(raw) -> dict:
    """A custom operator's options, with index lists as arrays and the crop's pixel grid."""
    options = flexbuffers.Loads(bytes(raw)) if raw is not None else {}
    if "subset_idxs" in options:
        options["subset_idxs"] = np.asarray(options["subset_idxs"])
    if "output_height" in options:
        grid = np.mgrid[0 : options["output_height"], 0 : options["output_width"]]
        options["grid"] = grid.astype(np.float64)
    return options


def _groups(indices: list[int]) -> list[list[int]]:
    """Custom operators next to each other in the graph's order run together, with no LiteRT
    stage between them (a stage that would need a custom operator fails at load)."""
    groups: list[list[int]] = []
    for index in indices:
        if groups and index == groups[-1][-1] + 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _submodel(model, schema, ops: list[int], inputs: list[int], outputs: list[int]) -> bytes:
    graph = model.subgraphs[0]
    keep_ops = graph.operators
    graph.operators = [keep_ops[i] for i in ops]
    saved = graph.inputs, graph.outputs
    graph.inputs, graph.outputs = inputs, outputs
    try:
        builder = Builder(1024 * 1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
    finally:
        graph.operators = keep_ops
        graph.inputs, graph.outputs = saved


# --- MediaPipe's custom operators, v2 ---------------------------------------------------------


def _landmarks_to_matrix(inputs: list[np.ndarray], options: dict) -> np.ndarray:
    """A 4x4 matrix taking crop pixels (output_width x output_height) to landmark space: the
    crop is levelled along two landmarks and covers a subset of them, enlarged by scale_x/y."""
    points = inputs[0].reshape(-1, 3)[:, :2].astype(np.float64)
    left, right = points[options["left_rotation_idx"]], points[options["right_rotation_idx"]]
    rotation = options["target_rotation_radians"] - math.atan2(
        right[1] - left[1], right[0] - left[0]
    )
    subset = points[options["subset_idxs"]]
    c, s = math.cos(rotation), math.sin(rotation)
    turned = subset @ np.array([[c, -s], [s, c]]).T
    low, high = turned.min(axis=0), turned.max(axis=0)
    width, height = high - low
    middle = (low + high) / 2
    cx, cy = np.array([[c, s], [-s, c]]) @ middle  # turned back
    out_w, out_h = options["output_width"], options["output_height"]
    sx = options["scale_x"] * width / out_w
    sy = options["scale_y"] * height / out_h
    # shift to the centre . rotate back . scale . shift the crop's centre to the origin
    cr, sr = math.cos(-rotation), math.sin(-rotation)
    matrix = np.eye(4)
    matrix[:2, :2] = np.array([[cr * sx, -sr * sy], [sr * sx, cr * sy]])
    matrix[:2, 3] = [cx, cy] + matrix[:2, :2] @ [-out_w / 2, -out_h / 2]
    return matrix.astype(np.float32)[None]


def _crop_bilinear(inputs: list[np.ndarray], options: dict) -> np.ndarray:
    """Sample the feature map (1, H, W, C) at the matrix's positions for each crop pixel (pixel
    centres aligned); samples outside the map are 0."""
    features, matrix = inputs[0][0], inputs[1].reshape(4, 4).astype(np.float64)
    height, width = features.shape[:2]
    row_x, row_y = matrix[0].copy(), matrix[1].copy()
    row_x[3] += row_x[0] * 0.5 + row_x[1] * 0.5 - 0.5
    row_y[3] += row_y[0] * 0.5 + row_y[1] * 0.5 - 0.5
    ys, xs = options["grid"]
    tx = row_x[0] * xs + row_x[1] * ys + row_x[3]
    ty = row_y[0] * xs + row_y[1] * ys + row_y[3]
    inside = (tx >= 0) & (tx <= width - 1) & (ty >= 0) & (ty <= height - 1)
    x0, y0 = np.floor(tx).astype(int), np.floor(ty).astype(int)
    fx, fy = (tx - x0)[..., None], (ty - y0)[..., None]
    padded = np.zeros((height + 1, width + 1, features.shape[2]), np.float32)
    padded[:height, :width] = features
    x0c, y0c = np.clip(x0, 0, width - 1), np.clip(y0, 0, height - 1)
    top = (1 - fx) * padded[y0c, x0c] + fx * padded[y0c, x0c + 1]
    bottom = (1 - fx) * padded[y0c + 1, x0c] + fx * padded[y0c + 1, x0c + 1]
    out = (1 - fy) * top + fy * bottom
    out[~inside] = 0
    return out.astype(np.float32)[None]


def _transform_landmarks(inputs: list[np.ndarray], options: dict) -> np.ndarray:
    """Apply the matrix's first two rows to (1, N, 2) landmarks."""
    points, matrix = inputs[0][0].astype(np.float64), inputs[1].reshape(4, 4).astype(np.float64)
    moved = points[:, :2] @ matrix[:2, :2].T + matrix[:2, 3]
    out = points.copy()
    out[:, :2] = moved
    return out.astype(np.float32)[None]


_CUSTOM = {
    "Landmarks2TransformMatrix": _landmarks_to_matrix,
    "TransformTensorBilinear": _crop_bilinear,
    "TransformLandmarks": _transform_landmarks,
}
