"""The map legend: an HTML/CSS Leaflet control built from the palette, every label escaped."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from folium.template import Template

from geo import palette
from geo.maps import style
from geo.maps.vector import RenderedOnce
from geo.text import escape_text


@dataclass(frozen=True)
class LegendEntry:
    """One legend row.

    Attributes
    ----------
    label
        Text shown (plain text; escaped when rendered).
    colour
        CSS colour of the symbol.
    symbol
        ``dot``, ``ring`` (hollow dot), ``line``, ``dashed``, ``area``, ``tint`` (a control area's
        swatch as it looks on land, outlined), ``occupied`` (the same, outlined dashed and darker),
        ``faint`` (a state's own ground behind the line, unoutlined), ``outline`` (a zone), ``post``
        or ``size`` (a ring of ``radius`` px, as large as the dots it stands for).
    radius
        For ``size``: the radius in px.
    """

    label: str
    colour: str
    symbol: str = "dot"
    radius: float = 0.0


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend rows."""

    title: str
    entries: tuple[LegendEntry, ...]


_SYMBOLS = {
    "dot": "border-radius:50%;background:{c};border:2px solid {r}",
    "ring": f"border-radius:50%;background:{palette.PAPER};border:3px solid {{r}}",
    "line": "height:0;border-top:4px solid {c};margin-top:7px",
    "dashed": "height:0;border-top:3px dashed {c};margin-top:7px",
    "area": "background:{c};opacity:.55;border:1px solid {c}",
    "tint": f"background:{{c}};border:1px solid {palette.AREA_OUTLINE}",
    "occupied": f"background:{{c}};border:2px dashed {palette.OCCUPIED_OUTLINE}",
    "faint": "background:{c}",
    "outline": "background:transparent;border:2px solid {c}",
    "post": f"background:{palette.PAPER};border:3px solid {{c}}",
    "size": "border-radius:50%;background:transparent;border:1.5px solid {c};width:{d}px;height:{d}px",
}


def legend_html(
    sections: list[LegendSection] | tuple[LegendSection, ...], *, title: str = "", folded: bool = False
) -> str:
    """Return the legend's HTML: a ``details.cm-legend`` (open unless ``folded``; a click on its title
    folds or unfolds it) with one block per section."""
    parts = [
        f'<details class="cm-legend"{"" if folded else " open"}>',
        f'<summary class="cm-legend-title">{escape_text(title or "Legend")}</summary>',
    ]
    for section in sections:
        parts.append(f'<div class="cm-legend-section">{escape_text(section.title)}</div>')
        # Size rings centred on one another, their words aligned.
        widest = max((2 * e.radius for e in section.entries if e.symbol == "size"), default=0.0)
        for entry in section.entries:
            # A dot's outline as the map draws it (geo.palette.ring): a light hue's reads on the legend too.
            drawn_as_dot = entry.symbol in ("dot", "ring") and re.fullmatch("#[0-9A-Fa-f]{6}", entry.colour)
            outline = palette.ring(entry.colour) if drawn_as_dot else entry.colour
            css = _SYMBOLS[entry.symbol].format(
                c=html.escape(entry.colour, quote=True),
                r=html.escape(outline, quote=True),
                d=f"{2 * entry.radius:g}",
            )
            if entry.symbol == "size":
                pad = (widest - 2 * entry.radius) / 2
                css += f";margin-left:{pad:g}px;margin-right:{7 + pad:g}px"
            parts.append(
                f'<div class="cm-legend-row"><span class="cm-legend-symbol" style="{css}"></span>'
                f"{escape_text(entry.label)}</div>"
            )
    parts.append("</details>")
    return "".join(parts)


LEGEND_CSS = f"""
.cm-legend {{ background: {palette.LEGEND_BACKGROUND}; padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 5px {palette.LEGEND_SHADOW}; font: {style.LEGEND_FONT_PX}px/1.35 "DejaVu Sans", Arial, sans-serif;
  color: {palette.LEGEND_TEXT}; max-height: 40vh; overflow-y: auto; }}
.cm-legend-title {{ font-weight: bold; margin-bottom: 2px; max-width: 300px; cursor: pointer; }}
.cm-legend-section {{ font-weight: bold; margin-top: 6px; }}
.cm-legend-row {{ display: flex; align-items: center; white-space: nowrap; }}
.cm-legend-symbol {{ display: inline-block; width: 14px; height: 14px; margin-right: 7px; flex: none;
  box-sizing: border-box; }}
.cm-popup th {{ text-align: left; padding-right: 8px; vertical-align: top; white-space: nowrap; }}
.cm-popup td {{ max-width: 320px; word-wrap: break-word; }}
.cm-popup {{ font: 13px/1.3 "DejaVu Sans", Arial, sans-serif; }}
.cm-popup tr.cm-popup-section th {{ padding: 6px 0 2px; border-bottom: 1px solid {palette.RULE}; white-space: normal;
  font-size: 14px; }}
"""


class Legend(RenderedOnce):
    """A Leaflet control holding :func:`legend_html`, plus the map's small stylesheet.

    Added to a map, it stays; added to a feature group, it shows and hides with the group.

    Parameters
    ----------
    sections
        Legend groups, top to bottom.
    title
        Heading above them.
    position
        Leaflet control corner.
    folded
        Shown folded to its title (a small map), a click away.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "cm-legend-control");
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            // Never above an open popup: folded to its title while one is open, as it was after.
            var details = div.querySelector("details"), wasOpen = details.open;
            this._fold = function () { wasOpen = details.open; details.open = false; };
            this._unfold = function () { details.open = wasOpen; };
            map.on("popupopen", this._fold);
            map.on("popupclose", this._unfold);
            return div;
        };
        {{ this.get_name() }}.onRemove = function (map) {
            map.off("popupopen", this._fold);
            map.off("popupclose", this._unfold);
        };
        (function (parent, legend) {
            if (parent instanceof L.Map) { legend.addTo(parent); return; }
            // In a feature group: shown and hidden with it (the Map page swaps its overlays).
            parent.on("add", function () { legend.addTo(parent._map); });
            parent.on("remove", function () { legend.remove(); });
            if (parent._map) { legend.addTo(parent._map); }
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        sections: list[LegendSection] | tuple[LegendSection, ...],
        *,
        title: str = "",
        position: str = "bottomleft",
        folded: bool = False,
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.sections = tuple(sections)
        self.html = legend_html(self.sections, title=title, folded=folded)
        self.css = LEGEND_CSS
        self.position = position
