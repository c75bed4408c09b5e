"""`safepost redact` on a PDF: every page rendered, faces masked, a new PDF of pictures only."""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from safepost.core import InputError, RegionsFileError
from safepost.decide.regions import ManualEdits
from safepost.flows.media import redact_file
from tests.conftest import ASTRONAUT_FACE, SAMPLES, changed_fraction


@pytest.fixture
def two_pages(tmp_path):
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB")
    blank = Image.new("RGB", face.size, "white")
    path = tmp_path / "report.pdf"
    blank.save(path, resolution=72.0, save_all=True, append_images=[face], title="Secret Title", author="Jane Doe")
    return path, np.asarray(face).astype(np.int16)


def _page(path, index):
    page = pdfium.PdfDocument(path)[index]
    return np.asarray(page.render(scale=1).to_pil().convert("RGB").resize((512, 512))).astype(np.int16)


def test_faces_on_every_page_are_masked_and_metadata_gone(two_pages, tmp_path):
    path, face = two_pages
    result = redact_file(path, tmp_path / "out.pdf", mode="fast")
    assert result.format == "PDF" and result.frames == 2
    assert [r.id for r in result.regions if r.kind == "face"] == ["p2-f1"]
    assert changed_fraction(face, _page(result.output, 1), ASTRONAUT_FACE) > 0.6
    raw = result.output.read_bytes()
    assert b"Jane Doe" not in raw and b"Secret Title" not in raw


def test_regions_files_and_damaged_pdfs_are_refused(two_pages, tmp_path):
    path, _ = two_pages
    with pytest.raises(RegionsFileError):
        redact_file(path, tmp_path / "a.pdf", edits=ManualEdits(ignore=["p2-f1"]))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError):
        redact_file(broken, tmp_path / "b.pdf", mode="fast")
    assert not (tmp_path / "b.pdf").exists()
