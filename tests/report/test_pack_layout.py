"""The PDF pack as a reader sees it: words not codes, whole words, one marking, a full map page, no empty page."""

from __future__ import annotations

import re

import numpy as np
import pypdfium2
import pytest

from geo import labels
from geo.report.mapimage import MARKING

# Text and images closer than this to the top or bottom edge are the page's furniture (marking, stamp).
FURNITURE_MM = 24
MM = 72 / 25.4


@pytest.fixture(scope="module")
def document(pack):
    return pypdfium2.PdfDocument(pack.pdf)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _codes_in(text: str) -> set[str]:
    """The raw codes (geo.labels.raw_codes) in ``text``, whole: not inside a longer name like CVM-UAV."""
    # Fragments that are no word either: "artillery ge100mm" is a code with its underscores as spaces.
    fragments = {part for code in labels.raw_codes() for part in code.split("_") if re.search(r"\d", part)}
    found = set()
    for code in labels.raw_codes() | fragments:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.add(code)
    return found


def test_no_raw_code_is_printed(pages):
    for number, text in enumerate(pages, start=1):
        # A code broken over two lines is found with the lines joined.
        found = _codes_in(_flat(text)) | _codes_in(text.replace("\n", ""))
        assert not found, f"page {number} prints the codes {sorted(found)}"


def test_the_table_shows_types_weapons_and_reasons_as_words(pack, pages):
    text = _flat(" ".join(pages))
    for code in pack.table["type"].unique():
        assert labels.label(code, "type") in text
    assert "Weapon inside its withdrawal zone" in text  # HEAVY_WEAPON_IN_ZONE, as a title
    assert labels.label("artillery_ge100mm", "weapon") in text


def _words_to_keep_whole(pack) -> set[str]:
    words = {s.strip() for cell in pack.table["sources"] for s in cell.split(",")}
    for vocabulary in labels.VOCABULARIES.values():
        for phrase in vocabulary.values():
            words |= set(re.findall(r"[\w-]{6,}", phrase))
    return {w for w in words if len(w) >= 6}


def test_no_word_is_split_across_lines(pack, pages):
    text = _flat(" ".join(pages))
    for word in _words_to_keep_whole(pack):
        for i in range(2, len(word) - 1):
            if word[i - 1] == "-":
                continue  # a break after a hyphen is a break between words
            broken = f"{word[:i]} {word[i:]}"
            assert broken not in text, f"{word!r} is split as {broken!r}"


def _marks(page, marking: str) -> list[float]:
    """The height (points from the bottom) of each occurrence of ``marking`` on a page."""
    text = page.get_textpage()
    searcher = text.search(marking, match_case=True, match_whole_word=True)
    heights = []
    while (found := searcher.get_next()) is not None:
        _, bottom, _, top = text.get_charbox(found[0])
        heights.append((bottom + top) / 2)
    return heights


def test_one_marking_at_the_top_and_one_at_the_bottom_of_every_page(document, settings):
    marking = settings.classification.upper()
    for number, page in enumerate(document, start=1):
        height = page.get_height()
        heights = sorted(_marks(page, marking))
        assert len(heights) == 2, f"page {number} carries the marking {len(heights)} times"
        assert heights[0] < 0.05 * height and heights[1] > 0.95 * height, (number, heights, height)


def test_no_marking_inside_the_page_body(document):
    """Images carry no marking of their own: the red of the marking appears only at the top and bottom."""
    red = np.array([int(MARKING[i : i + 2], 16) for i in (1, 3, 5)])
    for number, page in enumerate(document, start=1):
        pixels = np.asarray(page.render(scale=100 / 72).to_pil().convert("RGB")).astype(int)
        rows = np.flatnonzero((np.abs(pixels - red).max(axis=2) < 12).any(axis=1)) / len(pixels)
        inside = rows[(rows > 0.05) & (rows < 0.95)]
        assert not len(inside), f"page {number} shows the marking's red at {inside[:3]} of its height"


def test_every_page_has_one_stamp(pages, pack):
    for number, text in enumerate(pages, start=1):
        assert _flat(text).count(f"Data {pack.manifest.view_hash[:16]}") == 1, f"page {number}"


def _images(page) -> list[tuple[float, float, float, float]]:
    return [o.get_bounds() for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]


def test_the_map_fills_its_page(document):
    areas = []
    for page in document:
        width, height = page.get_size()
        for left, bottom, right, top in _images(page):
            areas.append((right - left) * (top - bottom) / (width * height))
    assert max(areas) > 0.6, f"the largest image covers {max(areas):.0%} of its page"


def test_no_page_is_nearly_empty(document):
    for number, page in enumerate(document, start=1):
        height = page.get_height()
        low, high = FURNITURE_MM * MM, height - FURNITURE_MM * MM
        # What lies in the page's body (the marking and the stamp are outside it), cut to it.
        spans = [
            (max(bottom, low), min(top, high))
            for o in page.get_objects()
            for _, bottom, _, top in [o.get_bounds()]
            if top > low and bottom < high
        ]
        assert spans, f"page {number} has nothing on it"
        covered = (max(t for _, t in spans) - min(b for b, _ in spans)) / (high - low)
        assert covered > 0.25, f"page {number} is {covered:.0%} used"


def test_why_this_side_is_set_in_the_family_s_italic(pack):
    import io

    from pypdf import PdfReader

    used = set()
    for page in PdfReader(io.BytesIO(pack.pdf)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        used |= {str(font.get_object().get("/BaseFont", "")) for font in fonts.values()}
    # TrueType subsets are named with a six-letter prefix: "AAAAAA+DejaVuSans-Oblique".
    faces = {name.split("+")[-1].lstrip("/") for name in used}
    assert "DejaVuSans-Oblique" in faces, faces
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= faces


def test_the_side_s_percent_and_its_sentence_say_the_same_probability(pack):
    table = pack.table
    checked = 0
    for side, why in zip(table["side"], table["side_reason"], strict=True):
        found = re.search(r"\bp (\d\.\d\d)\b", why)
        percent = re.search(r"\((\d+)%\)", side)
        if found and percent:
            assert int(percent.group(1)) == round(float(found.group(1)) * 100), (side, why)
            checked += 1
    assert checked >= 5
