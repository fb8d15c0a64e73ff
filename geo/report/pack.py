"""The PDF briefing pack (reportlab platypus): cover, map, likely violations, charts, methods, manifest."""

from __future__ import annotations

import dataclasses
import io
import re
import textwrap
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    LongTable,
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
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MARGIN = 18 * mm
# A table longer than this makes the pack long enough to need a table of contents.
TOC_ABOVE_ROWS = 25
# Width in mm of each column of the violations table (the usable width is 174 mm).
TABLE_WIDTHS_MM = (23, 16, 25, 18, 18, 17, 37, 20)
TABLE_HEADINGS = ("Event", "Time (UTC)", "Place", "Type", "Weapon", "Side (p)", "Reasons", "Sources")
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
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=22, leading=27, spaceAfter=6),
        "h1": ParagraphStyle(
            "Heading1", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceAfter=6, keepWithNext=1
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, keepWithNext=1
        ),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=6.5, leading=8),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=7, leading=8.5),
        "marking": ParagraphStyle(
            "marking",
            parent=body,
            fontName=BOLD,
            fontSize=12,
            textColor=colors.HexColor(MARKING),
            alignment=1,
        ),
    }


def _png(fig: Figure, *, width_mm: float, dpi: int = CHART_DPI) -> Image:
    data = figure_bytes(fig, fmt="png", dpi=dpi)
    w, h = fig.get_size_inches()
    return Image(io.BytesIO(data), width=width_mm * mm, height=width_mm * mm * h / w)


def _grid(rows: list[list[Any]], widths: tuple[float, ...], *, head: bool = True) -> Table:
    table = Table(rows, colWidths=[w * mm for w in widths], hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
    ]
    if head:
        style += [
            ("FONTNAME", (0, 0), (-1, 0), BOLD),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
        ]
    table.setStyle(TableStyle(style))
    return table


class _Doc(BaseDocTemplate):
    """A4 with the marking above and the stamp below every page; headings feed the table of contents."""

    def __init__(self, buffer: io.BytesIO, *, stamp: Stamp, marking: str, **kw: Any) -> None:
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=22 * mm,
            bottomMargin=24 * mm,
            **kw,
        )
        self.stamp, self.marking = stamp, marking
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPage=self._decorate)])

    def _decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(MARKING))
        canvas.setFont(BOLD, 10)
        canvas.drawCentredString(width / 2, height - 12 * mm, self.marking)
        canvas.drawCentredString(width / 2, 7 * mm, self.marking)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(FONT, 6.2)
        for i, line in enumerate(textwrap.wrap(self.stamp.text(), 150)[:3]):
            canvas.drawString(MARGIN, 18 * mm - i * 7.5, line)
        canvas.restoreState()

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Paragraph) and flowable.style.name == "Heading1":
            self.notify("TOCEntry", (0, flowable.getPlainText(), self.page))


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
            self.setFont(FONT, 7.5)
            self.drawRightString(A4[0] - MARGIN, 7 * mm, f"Page {number} of {total}")
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
        Spacer(1, 25 * mm),
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
        _grid(
            [[Paragraph(escape(a), st["body"]), Paragraph(escape(b), st["body"])] for a, b in rows],
            (95, 79),
            head=False,
        ),
        Spacer(1, 8 * mm),
        Paragraph(
            "Every figure in this pack is computed from the stored reports the filters select; the footer of "
            "each page gives their content hash, and the manifest embedded in this file (and written beside it) "
            "lets <font face='DejaVuSans-Bold'>python -m geo brief --manifest</font> rebuild and check them.",
            st["body"],
        ),
    ]


def _reasons_cell(codes: str, side_reason: str, style: ParagraphStyle) -> Paragraph:
    """The reason codes, then why this side (the sentence naming the reports behind it)."""
    why = f"<br/><i>{escape(side_reason)}</i>" if side_reason else ""
    return Paragraph(escape(codes) + why, style)


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
            "probability; undetermined below the attribution threshold. Reasons: the codes with their weights "
            "in the score, each explained under Reason codes, then in italics why this side, with the reports "
            "that drove it.",
            st["body"],
        )
    )
    head = [Paragraph(h, st["head"]) for h in TABLE_HEADINGS]
    cell = st["cell"]
    # Short cells are plain text, wrapped here (a Paragraph per cell is what makes a long table slow).
    rows = [
        [
            r.event,
            f"{r.time:%Y-%m-%d}\n{r.time:%H:%M}",
            Paragraph(escape(r.place), cell),
            _wrapped(str(r.type).replace("_", " "), 13),
            _wrapped(str(r.weapon).replace("_", " "), 13),
            _wrapped(r.side, 12),
            _reasons_cell(r.reasons, r.side_reason, cell),
            Paragraph(escape(r.sources), cell),
        ]
        for r in table.itertuples(index=False)
    ]
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), FONT, 6.5, 8),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    widths = [w * mm for w in TABLE_WIDTHS_MM]
    # Tables of TABLE_CHUNK rows: reportlab re-measures the rest of a table at each page break, so
    # one table of thousands of rows takes quadratic time; each chunk repeats the headings.
    grids = [
        LongTable(
            [head, *rows[i : i + TABLE_CHUNK]], colWidths=widths, repeatRows=1, hAlign="LEFT", style=style
        )
        for i in range(0, len(rows), TABLE_CHUNK)
    ]
    return [*out, Spacer(1, 3 * mm), *grids]


def _wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _codes(st: dict[str, ParagraphStyle], codes: pd.DataFrame) -> list[Any]:
    if codes.empty:
        return []
    rows = [[Paragraph(h, st["head"]) for h in ("Code", "Kind", "Events", "For example")]] + [
        [
            Paragraph(escape(r.code), st["cell"]),
            r.kind,
            f"{r.events:,}",
            Paragraph(escape(r.example), st["cell"]),
        ]
        for r in codes.itertuples(index=False)
    ]
    return [Paragraph("Reason codes", st["h1"]), _grid(rows, (38, 14, 14, 108))]


def _charts(st: dict[str, ParagraphStyle], shown: pd.DataFrame, violations: pd.DataFrame) -> list[Any]:
    return [
        Paragraph("Trends per sector", st["h1"]),
        Paragraph(
            "Likely violations (events) per day and sector: each event on its own day (the median of its "
            "reports' times), in its one sector (its earliest report's).",
            st["body"],
        ),
        _png(charts.trends_chart(figures.sector_trends(shown, violations)), width_mm=174),
        Paragraph("Distance profiles", st["h1"]),
        Paragraph(
            "Reports per 2 km band of distance to the contact line in force, on each side of it "
            "(reports beyond 40 km in the last band).",
            st["body"],
        ),
        _png(charts.profile_chart(figures.distance_profile(shown)), width_mm=174),
    ]


def _patterns(st: dict[str, ParagraphStyle], patterns: Any, chart: Figure) -> list[Any]:
    cell = st["cell"]
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
            [Paragraph(escape(r.place), cell), f"{r.count:,}", f"{r.gi_z:.2f}", f"{r.p_fdr:.3f}", r.level]
            for r in hot.itertuples(index=False)
        ]
        out.append(_grid(rows, (74, 22, 22, 26, 30)))
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
                Paragraph(escape(r.place), cell),
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
        out.append(_grid(rows, (13, 38, 21, 21, 14, 16, 11, 18, 22)))
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
    rows = [["Weapons", "Zone width", "Applies", "Clause"]] + [
        [
            Paragraph(escape(w.label), st["cell"]),
            f"{w.width_km:g} km",
            w.width_applies.replace("_", " "),
            Paragraph(escape(w.clause), st["cell"]),
        ]
        for w in agreement.withdrawal
    ]
    out.append(_grid(rows, (80, 24, 24, 46)))
    out.append(Paragraph("Prohibited acts (reason codes)", st["h2"]))
    rows = [["Code", "Severity", "Weight", "Clause"]] + [
        [r.code, r.severity, f"{r.weight:g}", Paragraph(escape(r.clause), st["cell"])]
        for r in agreement.rules
    ]
    out.append(_grid(rows, (62, 26, 20, 66)))
    out.append(Paragraph("Score settings in force", st["h2"]))
    rows = [["Setting", "Value"]] + [
        [f.name.replace("_", " "), f"{getattr(params, f.name):g}"] for f in dataclasses.fields(params)
    ]
    out.append(_grid(rows, (80, 40)))
    out.append(Paragraph("Reproducibility", st["h2"]))
    out.append(
        Paragraph(
            f"Software {escape(manifest.software_version)}; scenario and agreement context {manifest.context_key}; "
            f"store content {manifest.store_hash}; reports in this pack {manifest.view_hash}; filters "
            f"{escape(str(manifest.filters))}. Sources: reports as stored with their batches; borders Natural Earth "
            "(public domain); settlements GeoNames (CC BY 4.0).",
            st["cell"],
        )
    )
    return out


def build_pack(
    reports: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    events: pd.DataFrame,
    filters: Filters,
    settings: Settings,
    context: Context | None = None,
    title: str | None = None,
    colour_by: str = "flag_level",
    generated_at: pd.Timestamp | None = None,
    score_params: ScoreParams | None = None,
) -> Pack:
    """Build the briefing pack of the reports the filters select.

    Parameters
    ----------
    reports
        Every analysed report (``analyse_store(...).reports``): the filters choose the pack's rows
        here, and the whole frame gives the store's content hash.
    scenario
        The scenario the reports were analysed with.
    events
        The same analysis's events: each violation's reasons are kept with its event.
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
    """
    _fonts()
    if context is None:
        context = Context(scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    shown = apply_filters(reports, filters)
    store_hash = content_hash(reports)
    stamp = make_stamp(shown, filters, generated_at=generated_at, store_hash=store_hash)
    patterns = hotspots.pack_patterns(shown, context.scenario_dir)
    head = figures.headline(reports, events, filters) | hotspots.pattern_figures(patterns)
    violations = figures.likely_events(reports, events, filters)
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
    story.append(PageBreak())
    if len(table) > TOC_ABOVE_ROWS:
        toc = TableOfContents()
        toc.levelStyles = [ParagraphStyle("toc", parent=st["body"], fontSize=11, leading=16)]
        story += [Paragraph("Contents", st["h2"]), toc, PageBreak()]
    fig = draw_map(
        shown,
        scenario,
        filters=filters,
        stamp=stamp,
        settings=settings,
        size="a4",
        colour_by=colour_by,
        title=f"Reported incidents, {sectors}",
    )
    story += [Paragraph("Map", st["h1"]), _png(fig, width_mm=174, dpi=MAP_DPI), PageBreak()]
    story += [*_violations(st, table), *_codes(st, figures.reason_codes(violations)), PageBreak()]
    story += [*_charts(st, shown, violations), PageBreak()]
    chart = hotspots.hotspot_chart(patterns, shown, scenario, line_time(shown, filters, scenario))
    story += [*_patterns(st, patterns, chart), PageBreak()]
    story += _methods(st, agreement, score_params or ScoreParams(), manifest)
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
    reports: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    events: pd.DataFrame,
    settings: Settings,
    context: Context | None = None,
) -> tuple[Pack, list[str]]:
    """Build a pack again from a manifest's filters and options; return it and how it differs (empty: none).

    The figures are recomputed from the reports given (every analysed report, as for
    :func:`build_pack`); :func:`geo.report.manifest.differences` says when the stored reports,
    the agreement, the scenario or the software no longer match, and which figures changed.
    ``events``, ``settings`` and ``context`` are as for :func:`build_pack`.
    """
    options = manifest.options or {}
    pack = build_pack(
        reports,
        scenario,
        events=events,
        filters=Filters.from_params(manifest.filters),
        settings=settings,
        context=context,
        title=options.get("title"),
        colour_by=options.get("colour_by", "flag_level"),
    )
    return pack, differences(manifest, pack.manifest)
