"""Folium elements that draw GeoJSON dicts styled from their properties, and a minimap without tiles."""

from __future__ import annotations

import html
import json
from typing import Any

from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.plugins import MiniMap
from folium.template import Template

from geo import palette


class RenderedText(Element):
    """Text already rendered, added to a page as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class RenderedOnce(MacroElement):
    """Base of the elements that carry data: their rendered macros go into the page as plain text.

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, which compiles
    the text as a Jinja template. For a layer of reports that is wrong twice over: a report's text
    holding ``{{ ... }}`` would be evaluated on the server (template injection from an uploaded
    batch), and the lexer scanning megabytes of GeoJSON was the largest cost of a map update.
    """

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = f"{type(self).__name__} can be rendered only inside a folium map."
            raise TypeError(msg)
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            if macros.get(part) is not None:
                text = macros[part](self, kwargs)
                getattr(figure, part).add_child(RenderedText(text), name=self.get_name())
        for child in list(self._children.values()):
            child.render(**kwargs)


class VectorLayer(Layer, RenderedOnce):
    """A Leaflet GeoJSON layer whose features carry their own style, tooltip and popup.

    Feature properties read by the browser: ``s`` (an index into ``styles``) or ``style`` (Leaflet
    path options), merged over ``style`` below; ``tip`` (tooltip HTML, already escaped), ``rows`` (popup values, already escaped, in the
    order of ``popup_labels``) and ``sel`` (open the popup when drawn). Points become circle markers,
    which ``prefer_canvas`` draws on one canvas.

    Parameters
    ----------
    data
        GeoJSON FeatureCollection in lon/lat.
    name
        Name in the layer control.
    style
        Default Leaflet path options.
    styles
        Path options shared by index (property ``s``).
    popup_labels
        Row headings of the popup table (plain text; escaped here).
    popup_sections
        Positions of the rows that head a part of the popup: their value is drawn across the table.
    detail_url
        When set, popups end with a link to this URL followed by the feature's ``uid`` (URL-encoded),
        opened in the whole window (the map lives in an iframe).
    interactive
        False for context layers that must not catch clicks.
    pane
        A Leaflet pane to draw in (one the base map made, such as
        :data:`geo.maps.build.ABOVE_DOTS_PANE`); default the overlay pane.
    control, show
        As for :class:`folium.map.Layer`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        function {{ this.get_name() }}_style(f) {
            var styles = {{ this.styles|tojson }};
            var own = f.properties.s != null ? styles[f.properties.s] : f.properties.style;
            return Object.assign({}, {{ this.style|tojson }}, own || {});
        }
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            {%- if this.pane %}
            pane: {{ this.pane|tojson }},
            {%- endif %}
            interactive: {{ this.interactive|tojson }},
            style: function (f) { return {{ this.get_name() }}_style(f); },
            pointToLayer: function (f, latlng) {
                return L.circleMarker(latlng, {{ this.get_name() }}_style(f));
            },
            onEachFeature: function (f, layer) {
                var p = f.properties;
                if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
                {%- if this.popup_labels %}
                if (p.rows) {
                    var labels = {{ this.popup_labels|tojson }};
                    var sections = {{ this.popup_sections|tojson }};
                    var h = '<table class="cm-popup">';
                    for (var i = 0; i < labels.length; i++) {
                        if (sections.indexOf(i) >= 0) {
                            h += '<tr class="cm-popup-section"><th colspan="2">' + p.rows[i] + '</th></tr>';
                        } else {
                            h += '<tr><th>' + labels[i] + '</th><td>' + p.rows[i] + '</td></tr>';
                        }
                    }
                    h += '</table>';
                    {%- if this.detail_url %}
                    if (p.uid != null) {
                        h += '<a class="cm-detail" target="_top" href="' + {{ this.detail_url|tojson }}
                            + encodeURIComponent(p.uid) + '">Open the detail of this report</a>';
                    }
                    {%- endif %}
                    layer.bindPopup(h, {maxWidth: 440, maxHeight: 360});
                    // Opened once the map has settled where the page put it, so that its
                    // auto-pan (bringing the popup into view) is not undone by that move.
                    if (p.sel) { layer.on('add', function () { setTimeout(function () { layer.openPopup(); }, 0); }); }
                }
                {%- endif %}
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        name: str,
        style: dict[str, Any] | None = None,
        styles: tuple[dict[str, Any], ...] = (),
        popup_labels: tuple[str, ...] = (),
        popup_sections: tuple[int, ...] = (),
        detail_url: str = "",
        interactive: bool = True,
        control: bool = True,
        show: bool = True,
        pane: str | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "VectorLayer"
        self.data = data
        self._data_json: str | None = None
        # A pane given to the points too (their options are their style).
        self.style = dict(style or {}) | ({"pane": pane} if pane else {})
        self.pane = pane
        self.styles = list(styles)
        self.popup_labels = [html.escape(label) for label in popup_labels]
        self.popup_sections = list(popup_sections)
        self.detail_url = detail_url
        self.interactive = interactive

    @property
    def data_json(self) -> str:
        """``data`` as JSON safe inside a script tag, serialised once however often the layer renders.

        streamlit-folium renders a layer's template more than once per run; at a few thousand
        features with their popups that serialisation is the largest cost of a map update.
        """
        if self._data_json is None:
            self._data_json = script_safe_json(self.data)
        return self._data_json


class PostsLayer(Layer, RenderedOnce):
    """Observation posts: each its range as a circle in metres and a symbol with a tooltip.

    One element for every post, drawn in the browser from one GeoJSON FeatureCollection of points
    whose properties are ``range_m`` (metres), ``icon`` (the symbol's HTML) and ``tip`` (tooltip HTML,
    already escaped). A folium Circle, Marker and DivIcon per post cost every map update about 10 ms
    a post on the server (0.15 s for the demo's 16 posts), mostly compiling their rendered text.

    Parameters
    ----------
    data
        The posts, in lon/lat.
    name
        Name in the layer control.
    ring
        Leaflet path options of the range circles.
    icon_size
        The symbol's size in pixels; it is anchored at its centre.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        ({{ this.data_json }}).features.forEach(function (f) {
            var at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
            var p = f.properties;
            L.circle(at, Object.assign({}, {{ this.ring|tojson }}, {radius: p.range_m, interactive: false}))
                .addTo({{ this.get_name() }});
            L.marker(at, {icon: L.divIcon({
                html: p.icon, className: "empty",
                iconSize: {{ this.icon_size|tojson }}, iconAnchor: {{ this.icon_anchor|tojson }}
            })}).bindTooltip(p.tip, {sticky: true}).addTo({{ this.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(
        self, data: dict[str, Any], *, name: str, ring: dict[str, Any], icon_size: tuple[int, int] = (14, 14)
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "PostsLayer"
        self.data = data
        self.ring = ring
        self.icon_size = list(icon_size)
        self.icon_anchor = [icon_size[0] // 2, icon_size[1] // 2]

    @property
    def data_json(self) -> str:
        """``data`` as JSON safe inside a script tag."""
        return script_safe_json(self.data)


def script_safe_json(value: Any) -> str:
    """JSON text that can sit inside ``<script>``: ``<``, ``>``, ``&`` and ``'`` as Unicode escapes
    (as Jinja's ``tojson`` writes them, without its key sorting)."""
    return (
        json.dumps(value, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


class VectorMiniMap(MiniMap, RenderedOnce):
    """The minimap plugin drawing the countries context (or the tile URL when one is set).

    Parameters
    ----------
    countries
        GeoJSON FeatureCollection drawn when ``tile_url`` is empty and no ``countries_layer`` is given.
    countries_layer
        The map's own countries layer (drawn before this control), whose features the minimap draws
        instead of carrying them a second time (0.13 MB of the page).
    style
        Leaflet path options for it.
    tile_url, tile_attribution
        The configured tiles; empty means none.
    **kwargs
        Options of :class:`folium.plugins.MiniMap` (``position``, ``width``, ``zoom_level_offset``...).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {%- if this.tile_url %}
            var {{ this.get_name() }}_layer = L.tileLayer({{ this.tile_url|tojson }},
                {attribution: {{ this.tile_attribution|tojson }}});
            {%- elif this.countries_layer %}
            // The countries the map draws, handed over: the page carries them once.
            var {{ this.get_name() }}_layer = L.geoJson({
                type: "FeatureCollection",
                features: {{ this.countries_layer.get_name() }}.getLayers().map(function (l) { return l.feature; })
            }, {style: {{ this.country_style|tojson }}, interactive: false});
            {%- else %}
            var {{ this.get_name() }}_layer = L.geoJson({{ this.countries|tojson }},
                {style: {{ this.country_style|tojson }}, interactive: false});
            {%- endif %}
            var {{ this.get_name() }} = new L.Control.MiniMap(
                {{ this.get_name() }}_layer,
                {{ this.options|tojavascript }}
            );
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        countries: dict[str, Any],
        *,
        style: dict[str, Any],
        tile_url: str = "",
        tile_attribution: str = "",
        countries_layer: VectorLayer | None = None,
        **kwargs: Any,
    ) -> None:
        # The parent builds an OpenStreetMap tile layer that this template never renders.
        super().__init__(tile_layer=None, **kwargs)
        self._name = "VectorMiniMap"
        self.tile_layer = None
        self.countries = countries
        self.countries_layer = countries_layer
        self.country_style = style
        self.tile_url = tile_url
        self.tile_attribution = tile_attribution
        # The plugin's own view box is orange, the colour of no role here: the palette's ink instead.
        self.options["aimingRectOptions"] = {"color": palette.MINIMAP_VIEW, "weight": 1.5, "clickable": False}


class StartHidden(MacroElement):
    """Child of a feature group: the group removes itself the first time it is added to a map.

    streamlit-folium adds every feature group it is handed to the map; this is how one of them
    starts unticked in the layer control (the control follows the layer's add and remove events).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.once("add", function (e) {
            setTimeout(function () { e.target.remove(); }, 0);
        });
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "StartHidden"


class NeutralAttribution(MacroElement):
    """Leaflet's attribution prefix without the national flag Leaflet 1.9 puts before its name.

    An impartial monitoring mission's maps must not show one party's flag on every view.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
        }
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "NeutralAttribution"
