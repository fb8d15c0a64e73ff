"""The PDF briefing pack (reportlab platypus): cover, map, likely violations, charts, methods, manifest."""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

import geo
from geo.context import Context
from geo.filters import Filters, apply_filters
from geo.labels import label, reason_text
from geo.pipeline import Analysis, explained
from geo.report import charts, figures, hotspots
from geo.report.manifest import Manifest, differences, file_sha256
from geo.report.mapimage import MARKING, draw_map, figure_bytes, line_time, period_of, period_text
from geo.report.stamp import Stamp, content_hash, make_stamp
from geo.rules import Agreement
from geo.scenario import Scenario
from geo.score import ScoreParams
from geo.settings import Settings

# DejaVu Sans ships with matplotlib and covers Cyrillic: place names stay as written.
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT, BOLD, ITALIC, BOLD_ITALIC = (
    "DejaVuSans",
    "DejaVuSans-Bold",
    "DejaVuSans-Oblique",
    "DejaVuSans-BoldOblique",
)
MARGIN = 18 * mm
# The map's page is A4 landscape with narrower margins: the map takes the whole frame.
MAP_MARGIN = 12 * mm
# Top and bottom margins: the marking above; the stamp and the marking below.
TOP_MARGIN, BOTTOM_MARGIN = 18 * mm, 24 * mm
MAP_TOP_MARGIN, MAP_BOTTOM_MARGIN = 15 * mm, 21 * mm
# One type scale: every text of the pack is set in one of these sizes (points), with its leading.
TYPE_SCALE: dict[str, tuple[float, float]] = {
    "title": (20, 24),
    "h1": (14, 18),
    "h2": (11, 14),
    "body": (9, 12),
    "small": (7.5, 9.5),
}
SMALL, SMALL_LEADING = TYPE_SCALE["small"]
# A table longer than this makes the pack long enough to need a table of contents.
TOC_ABOVE_ROWS = 25
# The violations table: headings, and the share of the width left over once each column holds its
# longest word that each column takes (the reasons and the place wrap the most).
TABLE_HEADINGS = ("Event, time (UTC)", "Place", "Type, weapon", "Side (p)", "Reasons (weight)", "Sources")
TABLE_SHARES = (0, 1, 1, 0, 5, 1)
CELL_PADDING = 2
TABLE_CHUNK = 40
CHART_DPI = 200
MAP_DPI = 200


@dataclass(frozen=True)
class Pack:
    """A built briefing pack.

    Attributes
    ----------
    pdf
        The PDF's bytes (the manifest is in its metadata, under Keywords).
    manifest
        What it was made from and the figures it shows.
    table
        The likely violations, as printed.
    """

    pdf: bytes
    manifest: Manifest
    table: pd.DataFrame


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        # The family's own slanted faces: <i> in a paragraph ("why this side") is set in italics.
        pdfmetrics.registerFont(TTFont(ITALIC, str(FONT_DIR / "DejaVuSans-Oblique.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD_ITALIC, str(FONT_DIR / "DejaVuSans-BoldOblique.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    size, leading = TYPE_SCALE["body"]
    # Words are never split inside: a cell too narrow for a word is made wider (_fitted_widths).
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=FONT, fontSize=size, leading=leading, splitLongWords=0
    )

    def scaled(name: str, step: str, **kw: Any) -> ParagraphStyle:
        size, leading = TYPE_SCALE[step]
        return ParagraphStyle(name, parent=body, fontSize=size, leading=leading, **kw)

    return {
        "title": scaled("title", "title", fontName=BOLD, spaceAfter=6),
        "h1": scaled("Heading1", "h1", fontName=BOLD, spaceAfter=6, keepWithNext=1),
        "h2": scaled("h2", "h2", fontName=BOLD, spaceBefore=8, spaceAfter=2, keepWithNext=1),
        "body": body,
        "cell": scaled("cell", "small"),
        "head": scaled("head", "small", fontName=BOLD),
    }


def _png(fig: Figure, *, width_mm: float, dpi: int = CHART_DPI) -> Image:
    data = figure_bytes(fig, fmt="png", dpi=dpi)
    w, h = fig.get_size_inches()
    return Image(io.BytesIO(data), width=width_mm * mm, height=width_mm * mm * h / w)


# A cell of at most this many characters and two words is kept on one line ("140 km", "UA (99%)").
UNBROKEN_CHARS = 12


def _word_width(text: str, *, bold: bool = False) -> float:
    """The width in points of the longest word of ``text`` in the table size (of the whole of a short text)."""
    words = text.split()
    if len(text) <= UNBROKEN_CHARS and len(words) <= 2:
        words = [text]
    return max((pdfmetrics.stringWidth(w, BOLD if bold else FONT, SMALL) for w in words), default=0.0)


def _fitted_widths(columns: list[list[str]], shares: tuple[float, ...], total: float) -> list[float]:
    """Column widths in points: each at least its longest word (headings in bold), the rest of
    ``total`` shared by ``shares``. Words are never split; a table too narrow for them is wider."""
    least = [
        max(_word_width(c[0], bold=True), *(_word_width(t) for t in set(c[1:])), 1.0) + 2 * CELL_PADDING + 1
        for c in columns
    ]
    spare = max(total - sum(least), 0.0)
    weight = sum(shares) or 1.0
    return [w + spare * share / weight for w, share in zip(least, shares, strict=True)]


def _table_style(*, head: bool = True) -> list[tuple[Any, ...]]:
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, SMALL, SMALL_LEADING),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if head:
        style += [
            ("FONT", (0, 0), (-1, 0), BOLD, SMALL, SMALL_LEADING),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
        ]
    return style


def _grid(
    rows: list[list[str]],
    shares: tuple[float, ...],
    st: dict[str, ParagraphStyle],
    *,
    head: bool = True,
    total: float | None = None,
) -> Table:
    """A table of text in the table size, wrapped at spaces, its columns as wide as their longest word."""
    total = total if total is not None else A4[0] - 2 * MARGIN
    widths = _fitted_widths([list(c) for c in zip(*rows, strict=True)], shares, total)
    cells = [
        [Paragraph(escape(str(t)), st["head"] if head and i == 0 else st["cell"]) for t in row]
        for i, row in enumerate(rows)
    ]
    return Table(cells, colWidths=widths, hAlign="LEFT", style=TableStyle(_table_style(head=head)))


class _TocMark(Flowable):
    """An entry of the table of contents for a page without a heading (the map's)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class _Doc(BaseDocTemplate):
    """A4 with the marking above and the stamp and marking below every page; the map's page in
    landscape (template ``map``); headings feed the table of contents."""

    def __init__(self, buffer: io.BytesIO, *, stamp: Stamp, marking: str, **kw: Any) -> None:
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=TOP_MARGIN,
            bottomMargin=BOTTOM_MARGIN,
            **kw,
        )
        self.stamp, self.marking = stamp, marking
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        wide = landscape(A4)
        map_frame = Frame(
            MAP_MARGIN,
            MAP_BOTTOM_MARGIN,
            wide[0] - 2 * MAP_MARGIN,
            wide[1] - MAP_TOP_MARGIN - MAP_BOTTOM_MARGIN,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="map",
        )
        self.addPageTemplates(
            [
                PageTemplate("page", [frame], onPage=self._decorate, pagesize=A4),
                PageTemplate("map", [map_frame], onPage=self._decorate, pagesize=wide),
            ]
        )

    def _decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = canvas._pagesize
        margin = MARGIN if width < height else MAP_MARGIN
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(MARKING))
        canvas.setFont(BOLD, TYPE_SCALE["h2"][0])
        canvas.drawCentredString(width / 2, height - 9 * mm, self.marking)
        canvas.drawCentredString(width / 2, 5 * mm, self.marking)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(FONT, SMALL)
        for i, line in enumerate(simpleSplit(self.stamp.text(), FONT, SMALL, width - 2 * margin)[:3]):
            canvas.drawString(margin, 15 * mm - i * SMALL_LEADING, line)
        canvas.restoreState()

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Paragraph) and flowable.style.name == "Heading1":
            self.notify("TOCEntry", (0, flowable.getPlainText(), self.page))
        elif isinstance(flowable, _TocMark):
            self.notify("TOCEntry", (0, flowable.text, self.page))


class _NumberedCanvas(Canvas):
    """Writes "Page N of M" once the number of pages is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            width, height = self._pagesize
            margin = MARGIN if width < height else MAP_MARGIN
            self.setFont(FONT, SMALL)
            self.setFillColor(colors.HexColor("#333333"))
            self.drawRightString(width - margin, 5 * mm, f"Page {number} of {total}")
            super().showPage()
        super().save()


def _cover(
    st: dict[str, ParagraphStyle],
    *,
    title: str,
    sectors: str,
    period: str,
    head: dict[str, Any],
    filters: Filters,
    agreement: Agreement,
) -> list[Any]:
    by_side = ", ".join(f"{k} {v:,}" for k, v in head["likely_by_side"].items()) or "none"
    top = ", ".join(f"{k} ({v:,})" for k, v in head["top_sectors"].items()) or "none"
    rows = [
        ["Reports", f"{head['reports']:,}"],
        ["Events (reports merged by corroboration)", f"{head['events']:,}"],
        ["Likely violations (events)", f"{head['likely_violations']:,}"],
        ["Possible violations (events)", f"{head['possible_violations']:,}"],
        ["Likely violations by attributed side", by_side],
        ["Sectors with most likely violations", top],
        ["Days with reports", f"{head['days_with_reports']:,}"],
        ["Hot cells (Gi*, after FDR correction)", f"{head['hot_cells']:,}"],
        ["Significant space-time clusters", f"{head['significant_clusters']:,}"],
    ]
    return [
        Spacer(1, 15 * mm),
        Paragraph(escape(title), st["title"]),
        Paragraph(f"<b>Sector:</b> {escape(sectors)}", st["body"]),
        Paragraph(f"<b>Period:</b> {escape(period)}", st["body"]),
        Paragraph(f"<b>Filters:</b> {escape(filters.describe())}", st["body"]),
        Paragraph(
            f"<b>Agreement:</b> {escape(agreement.name)}, in effect from {agreement.effective_at:%Y-%m-%d %H:%M} UTC",
            st["body"],
        ),
        Spacer(1, 8 * mm),
        Paragraph("Headline figures", st["h2"]),
        Table(
            [[Paragraph(escape(a), st["body"]), Paragraph(escape(b), st["body"])] for a, b in rows],
            colWidths=[95 * mm, 79 * mm],
            hAlign="LEFT",
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_table_style(head=False)[2:]]),
        ),
        Spacer(1, 8 * mm),
        Paragraph(
            "Every figure in this pack is computed from the stored reports the filters select; the footer of "
            "each page gives their content hash, and the manifest embedded in this file (and written beside it) "
            "lets <font face='DejaVuSans-Bold'>python -m geo brief --manifest</font> rebuild and check them.",
            st["body"],
        ),
    ]


def _reasons_cell(reasons: list[tuple[str, float]], side_reason: str, style: ParagraphStyle) -> Paragraph:
    """The reasons in words with their weights, one a line, then why this side (the reports behind it)."""
    lines = [escape(reason_text(code, weight)) for code, weight in reasons]
    why = [f"<i>{escape(side_reason)}</i>"] if side_reason else []
    return Paragraph("<br/>".join(lines + why), style)


def _side_text(side: str) -> str:
    """ "UA (99%)", "Undetermined (80%)": the attributed side in words, its probability kept."""
    name, _, rest = side.partition(" ")
    return f"{label(name, 'attributed_side')} {rest}".strip()


def _violations(st: dict[str, ParagraphStyle], table: pd.DataFrame) -> list[Any]:
    out: list[Any] = [Paragraph("Likely violations", st["h1"])]
    if table.empty:
        return [
            *out,
            Paragraph("No event in this period and sector was flagged as a likely violation.", st["body"]),
        ]
    out.append(
        Paragraph(
            f"{len(table):,} events flagged as likely violations, in time order; each event is counted once, "
            "by its own time and sector, and described as a whole. Time: the event's, the median of its reports' "
            "times. Place: of the event's best location, distance and direction from the nearest settlement "
            "(GeoNames). Side: the side the evidence attributes the event to, with its "
            "probability; undetermined below the attribution threshold. Reasons: the reasons with their weights "
            "in the score, each explained under Reasons given, then in italics why this side, with the reports "
            "that drove it.",
            st["body"],
        )
    )
    cell = st["cell"]
    texts = {
        "event": [f"{e} {t:%Y-%m-%d} {t:%H:%M}" for e, t in zip(table["event"], table["time"], strict=True)],
        "place": table["place"].astype(str).tolist(),
        "what": [
            f"{label(t, 'type')}, {label(w, 'weapon')}"
            for t, w in zip(table["type"], table["weapon"], strict=True)
        ],
        "side": [_side_text(str(v)) for v in table["side"]],
        "reasons": [
            " ".join([*(reason_text(c, w) for c, w in r), why])
            for r, why in zip(table["reasons"], table["side_reason"], strict=True)
        ],
        "sources": table["sources"].astype(str).tolist(),
    }
    widths = _fitted_widths(
        [[h, *column] for h, column in zip(TABLE_HEADINGS, texts.values(), strict=True)],
        TABLE_SHARES,
        A4[0] - 2 * MARGIN,
    )

    def lines(*parts: str, column: int) -> str:
        # Short cells are plain text wrapped at spaces here (a Paragraph per cell makes a long table slow).
        width = widths[column] - 2 * CELL_PADDING
        return "\n".join(line for part in parts for line in simpleSplit(part, FONT, SMALL, width))

    head = [Paragraph(h, st["head"]) for h in TABLE_HEADINGS]
    rows = [
        [
            lines(r.event, f"{r.time:%Y-%m-%d} {r.time:%H:%M}", column=0),
            Paragraph(escape(r.place), cell),
            lines(label(r.type, "type"), label(r.weapon, "weapon"), column=2),
            lines(_side_text(str(r.side)), column=3),
            _reasons_cell(r.reasons, r.side_reason, cell),
            Paragraph(escape(r.sources), cell),
        ]
        for r in table.itertuples(index=False)
    ]
    style = TableStyle(_table_style())
    # Tables of TABLE_CHUNK rows: reportlab re-measures the rest of a table at each page break, so
    # one table of thousands of rows takes quadratic time; each chunk repeats the headings.
    grids = [
        LongTable(
            [head, *rows[i : i + TABLE_CHUNK]], colWidths=widths, repeatRows=1, hAlign="LEFT", style=style
        )
        for i in range(0, len(rows), TABLE_CHUNK)
    ]
    return [*out, Spacer(1, 3 * mm), *grids]


def _codes(st: dict[str, ParagraphStyle], codes: pd.DataFrame) -> list[Any]:
    if codes.empty:
        return []
    rows = [["Reason", "Kind", "Events", "For example"]] + [
        [label(r.code, "code"), label(r.kind, "reason_kind"), f"{r.events:,}", r.example]
        for r in codes.itertuples(index=False)
    ]
    return [Paragraph("Reasons given", st["h1"]), _grid(rows, (1, 0, 0, 4), st)]


def _charts(st: dict[str, ParagraphStyle], shown: pd.DataFrame, violations: pd.DataFrame) -> list[Any]:
    return [
        Paragraph("Trends per sector", st["h1"]),
        Paragraph(
            "Likely violations (events) per day and sector: each event on its own day (the median of its "
            "reports' times), in its one sector (its earliest report's).",
            st["body"],
        ),
        _png(charts.trends_chart(figures.sector_trends(shown, violations)), width_mm=174),
        CondPageBreak(100 * mm),
        Paragraph("Distance profiles", st["h1"]),
        Paragraph(
            "Reports per 2 km band of distance to the contact line in force, on each side of it "
            "(reports beyond 40 km in the last band).",
            st["body"],
        ),
        _png(charts.profile_chart(figures.distance_profile(shown)), width_mm=174),
    ]


def _patterns(st: dict[str, ParagraphStyle], patterns: Any, chart: Figure) -> list[Any]:
    out: list[Any] = [
        Paragraph("Hotspots and clusters", st["h1"]),
        Paragraph(
            "Hot and cold cells: Getis-Ord Gi* over H3 hexagons of the reports in this pack, significant after a "
            "false discovery rate correction. Clusters: the most likely space-time clusters of a scan statistic, "
            "with a permutation p-value. docs/METHOD.md (Patterns) gives the method.",
            st["body"],
        ),
        _png(chart, width_mm=174),
    ]
    hot = hotspots.hotspot_table(patterns)
    out.append(Paragraph(f"Hot cells ({len(hot)} strongest)", st["h2"]))
    if hot.empty:
        out.append(Paragraph("No cell is significantly hot.", st["body"]))
    else:
        rows = [["Place (cell centre)", "Reports", "Gi* z", "p (FDR)", "Level"]] + [
            [r.place, f"{r.count:,}", f"{r.gi_z:.2f}", f"{r.p_fdr:.3f}", label(r.level, "level")]
            for r in hot.itertuples(index=False)
        ]
        out.append(_grid(rows, (3, 1, 1, 1, 1), st))
    clusters = hotspots.cluster_table(patterns)
    out.append(Paragraph("Space-time clusters", st["h2"]))
    if clusters.empty:
        out.append(Paragraph("No space-time cluster was found.", st["body"]))
    else:
        rows = [
            [
                "Cluster",
                "Place (centre)",
                "From (UTC)",
                "To (UTC)",
                "Reports",
                "Expected",
                "p",
                "Radius",
                "Significant",
            ]
        ]
        rows += [
            [
                r.cluster,
                r.place,
                f"{r.start:%m-%d %H:%M}",
                f"{r.end:%m-%d %H:%M}",
                f"{r.n:,}",
                f"{r.expected:.1f}",
                f"{r.p_value:.2f}",
                f"{r.radius_km:.1f} km",
                "yes" if r.significant else "no",
            ]
            for r in clusters.itertuples(index=False)
        ]
        out.append(_grid(rows, (0, 3, 1, 1, 0, 0, 0, 0, 0), st))
    return out


def _methods(
    st: dict[str, ParagraphStyle], agreement: Agreement, params: ScoreParams, manifest: Manifest
) -> list[Any]:
    body = st["body"]
    out: list[Any] = [
        Paragraph("Methods", st["h1"]),
        Paragraph(
            "Each report is measured against the contact line version in force when it occurred (geodesic "
            "distance, side by the control areas in force), merged with reports of the same happening into "
            "an event, checked against the agreement's terms below, and scored: the event's violation "
            "likelihood combines the weights of the rules it breaches with the confidence of its sources "
            "(Admiralty grades). docs/METHOD.md gives the details.",
            body,
        ),
        Paragraph("Agreement", st["h2"]),
        Paragraph(
            f"{escape(agreement.name)} ({escape(agreement.short_name)}), in effect from "
            f"{agreement.effective_at:%Y-%m-%d %H:%M} UTC. Source: {escape(agreement.source)}",
            body,
        ),
        Paragraph(
            f"File {escape(manifest.agreement_file)}, SHA-256 {manifest.agreement_sha256}.", st["cell"]
        ),
        Paragraph("Withdrawal of weapons", st["h2"]),
    ]
    rows = [["Weapons", "Zone width", "Width applies to", "Clause"]] + [
        [w.label, f"{w.width_km:g} km", label(w.width_applies, "width_applies"), w.clause]
        for w in agreement.withdrawal
    ]
    out.append(_grid(rows, (3, 0, 1, 2), st))
    out.append(Paragraph("Prohibited acts and what weighs against them", st["h2"]))
    rows = [["Rule", "Effect", "Severity", "Weight", "Clause"]] + [
        [
            label(r.code, "code"),
            label(r.effect, "effect"),
            label(r.severity, "severity"),
            f"{r.weight:g}",
            r.clause,
        ]
        for r in agreement.rules
    ]
    out.append(_grid(rows, (3, 0, 0, 0, 2), st))
    # The last two sections go to a new page together, never the last one alone.
    rows = [["Setting", "Value"]] + [
        [label(f.name, "score_setting"), f"{getattr(params, f.name):g}"] for f in dataclasses.fields(params)
    ]
    last = [Paragraph("Score settings in force", st["h2"]), _grid(rows, (3, 1), st)]
    last.append(Paragraph("Reproducibility", st["h2"]))
    url_form = " · ".join(f"{k}={v}" for k, v in manifest.filters.items()) or "none (every report)"
    rows = [
        ["Software", f"Ceasefire Monitor {manifest.software_version}"],
        ["Filters", Filters.from_params(manifest.filters).describe()],
        ["Filters (link form)", url_form],
        ["Scenario and agreement context", manifest.context_key],
        ["Store content (SHA-256)", manifest.store_hash],
        ["Reports in this pack (SHA-256)", manifest.view_hash],
        *_audit_rows(manifest.audit),
        [
            "Sources",
            "Reports as stored with their batches; borders Natural Earth (public domain); "
            "settlements GeoNames (CC BY 4.0).",
        ],
    ]
    last.append(_grid(rows, (1, 3), st, head=False))
    last.append(
        Paragraph(
            "python -m geo brief --manifest with this pack's manifest rebuilds it and names any difference.",
            st["cell"],
        )
    )
    return [*out, KeepTogether(last)]


def _audit_rows(head: dict[str, Any] | None) -> list[list[str]]:
    """The audit log's tree head at the pack's making, for the reproducibility table (none: no row)."""
    if not head:
        return []
    text = f"{head['size']:,} entries at {head['at']}; root (SHA-256) {head['root']}"
    return [
        [
            "Audit log tree head",
            f"{text}. python -m geo audit verify --head with the manifest proves the log unaltered since.",
        ]
    ]


def build_pack(
    analysis: Analysis,
    scenario: Scenario,
    *,
    filters: Filters,
    settings: Settings,
    context: Context | None = None,
    title: str | None = None,
    colour_by: str = "flag_level",
    generated_at: pd.Timestamp | None = None,
    score_params: ScoreParams | None = None,
    audit_head: dict[str, Any] | None = None,
) -> Pack:
    """Build the briefing pack of the reports the filters select.

    Parameters
    ----------
    analysis
        The analysis of every stored report (``analyse_store(...)``): the filters choose the pack's
        rows among its reports, the whole frame gives the store's content hash, and each violation's
        reasons are worded from its long tables.
    scenario
        The scenario the reports were analysed with.
    filters
        Period, sector and other choices (a sector is ``filters.choices["sector"]``).
    settings
        ``classification`` and the map's settings; with no ``context``, also ``scenario_dir`` and
        ``agreement_path`` as they are (the scenario in force: pass the edited one, if any).
    context
        The context the reports were analysed in (:func:`geo.context.resolve`: the scenario in force
        with the users' edits, the agreement): the manifest records its key, the sectors are its
        scenario's. Default: the settings' ``scenario_dir`` and ``agreement_path``.
    title
        The cover's title; default "Ceasefire monitoring briefing".
    colour_by
        The map's colour scheme.
    generated_at
        The generation time in stamps and manifest; default now.
    score_params
        The score settings the analysis used (default :class:`geo.score.ScoreParams`), for the methods page.
    audit_head
        The store's audit log tree head now (:meth:`geo.audit.log.TreeHead.to_dict`), carried in the
        manifest and on the methods page: the pack can later be proven to rest on unaltered writes.
    """
    _fonts()
    if context is None:
        context = Context(scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    reports, events = analysis.reports, analysis.events
    shown = apply_filters(reports, filters)
    store_hash = content_hash(reports)
    stamp = make_stamp(shown, filters, generated_at=generated_at, store_hash=store_hash)
    patterns = hotspots.pack_patterns(shown, context.scenario_dir)
    head = figures.headline(reports, events, filters) | hotspots.pattern_figures(patterns)
    # Each violation's reasons, worded from the analysis's long tables (only the pack's events).
    violations = explained(figures.likely_events(reports, events, filters), analysis)
    table = figures.violations_table(violations)
    manifest = Manifest(
        filters=filters.to_params(),
        options={"colour_by": colour_by, "title": title},
        agreement_file=context.agreement_path.name,
        agreement_sha256=file_sha256(context.agreement_path),
        context_key=context.key,
        software_version=geo.__version__,
        store_hash=store_hash,
        view_hash=stamp.view_hash,
        generated_at=stamp.generated_at.isoformat().replace("+00:00", "Z"),
        figures={**head, "likely_events": table["event"].astype(str).tolist()},
        audit=audit_head,
    )
    sectors = ", ".join(filters.choices.get("sector", ())) or "all sectors"
    period = period_text(*period_of(shown, filters))
    st = _styles()
    agreement = context.agreement
    story = _cover(
        st,
        title=title or "Ceasefire monitoring briefing",
        sectors=sectors,
        period=period,
        head=head,
        filters=filters,
        agreement=agreement,
    )
    if len(table) > TOC_ABOVE_ROWS:
        # On the cover: a page of its own would be nearly empty.
        toc = TableOfContents()
        toc.levelStyles = [
            ParagraphStyle("toc", parent=st["body"], spaceBefore=0, leftIndent=0, firstLineIndent=0)
        ]
        toc.tableStyle = TableStyle(_table_style(head=False))
        story += [Spacer(1, 6 * mm), Paragraph("Contents", st["h2"]), toc]
    # The map's page is landscape and the map fills its frame; the page carries the marking and stamp.
    wide = landscape(A4)
    width_in = (wide[0] - 2 * MAP_MARGIN) / 72 - 0.01
    height_in = (wide[1] - MAP_TOP_MARGIN - MAP_BOTTOM_MARGIN) / 72 - 0.01
    fig = draw_map(
        shown,
        scenario,
        filters=filters,
        stamp=stamp,
        settings=settings,
        size=(width_in, height_in),
        colour_by=colour_by,
        title=f"Map: reported incidents, {sectors}",
        marked=False,
    )
    story += [
        NextPageTemplate("map"),
        PageBreak(),
        _TocMark("Map"),
        _png(fig, width_mm=width_in * 25.4, dpi=MAP_DPI),
    ]
    story += [NextPageTemplate("page"), PageBreak()]
    # A section starts on a new page only when the last one leaves too little room for its opening:
    # a page break after a short section would leave a page nearly empty.
    story += [*_violations(st, table), CondPageBreak(60 * mm), *_codes(st, figures.reason_codes(violations))]
    story += [CondPageBreak(110 * mm), *_charts(st, shown, violations)]
    chart = hotspots.hotspot_chart(patterns, shown, scenario, line_time(shown, filters, scenario))
    story += [CondPageBreak(150 * mm), *_patterns(st, patterns, chart)]
    story += [CondPageBreak(120 * mm), *_methods(st, agreement, score_params or ScoreParams(), manifest)]
    buffer = io.BytesIO()
    doc = _Doc(
        buffer,
        stamp=stamp,
        marking=settings.classification.upper(),
        title=title or "Briefing pack",
        author="Ceasefire Monitor",
        subject=f"{sectors}, {period}",
        creator=f"Ceasefire Monitor {geo.__version__}",
        keywords=manifest.to_json(),
        invariant=1,
    )
    doc.multiBuild(story, canvasmaker=_NumberedCanvas)
    return Pack(pdf=buffer.getvalue(), manifest=manifest, table=table)


def pack_name(filters: Filters) -> str:
    """Return a file name stem for a pack or image: ``briefing_2026-10-05_2026-10-11_Bakhmut``."""
    parts = ["briefing"]
    parts += [f"{t:%Y-%m-%d}" for t in (filters.start, filters.end) if t is not None]
    parts += list(filters.choices.get("sector", ()))[:3]
    return re.sub(r"[^\w.-]+", "-", "_".join(parts), flags=re.UNICODE)


def manifest_path(pdf_path: Path) -> Path:
    """Return where a pack's manifest is written beside it: ``pack.pdf`` -> ``pack.manifest.json``."""
    return Path(pdf_path).with_suffix(".manifest.json")


def write_pack(pack: Pack, pdf_path: Path) -> tuple[Path, Path]:
    """Write the PDF and its manifest beside it; return both paths."""
    pdf_path = Path(pdf_path)
    pdf_path.write_bytes(pack.pdf)
    manifest_path(pdf_path).write_text(pack.manifest.to_json(), encoding="utf-8")
    return pdf_path, manifest_path(pdf_path)


def rebuild(
    manifest: Manifest,
    analysis: Analysis,
    scenario: Scenario,
    *,
    settings: Settings,
    context: Context | None = None,
    audit_head: dict[str, Any] | None = None,
) -> tuple[Pack, list[str]]:
    """Build a pack again from a manifest's filters and options; return it and how it differs (empty: none).

    The figures are recomputed from the analysis given (of every stored report, as for
    :func:`build_pack`); :func:`geo.report.manifest.differences` says when the stored reports,
    the agreement, the scenario or the software no longer match, and which figures changed.
    ``analysis``, ``settings``, ``context`` and ``audit_head`` are as for :func:`build_pack`.
    """
    options = manifest.options or {}
    pack = build_pack(
        analysis,
        scenario,
        filters=Filters.from_params(manifest.filters),
        settings=settings,
        context=context,
        title=options.get("title"),
        colour_by=options.get("colour_by", "flag_level"),
        audit_head=audit_head,
    )
    return pack, differences(manifest, pack.manifest)
