"""safepost: post about human-rights work without exposing the people in it."""

import os

# onnxruntime (face models, the text reader) sends usage telemetry with a device id to Microsoft
# unless this is set before it loads. Set here, first, so every safepost process and every batch
# worker it starts inherits it; the value is forced, not defaulted, so the environment cannot undo it.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
