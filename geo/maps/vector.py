"""Folium elements that draw GeoJSON dicts styled from their properties, and a minimap without tiles."""

from __future__ import annotations

import html
from typing import Any

from folium.map import Layer
from folium.plugins import MiniMap
from folium.template import Template


class VectorLayer(Layer):
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
    detail_url
        When set, popups end with a link to this URL followed by the feature's ``uid`` (URL-encoded),
        opened in the whole window (the map lives in an iframe).
    interactive
        False for context layers that must not catch clicks.
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
        var {{ this.get_name() }} = L.geoJson({{ this.data|tojson }}, {
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
                    var h = '<table class="cm-popup">';
                    for (var i = 0; i < labels.length; i++) {
                        h += '<tr><th>' + labels[i] + '</th><td>' + p.rows[i] + '</td></tr>';
                    }
                    h += '</table>';
                    {%- if this.detail_url %}
                    if (p.uid != null) {
                        h += '<a class="cm-detail" target="_top" href="' + {{ this.detail_url|tojson }}
                            + encodeURIComponent(p.uid) + '">Open the detail of this report</a>';
                    }
                    {%- endif %}
                    layer.bindPopup(h, {maxWidth: 440});
                    if (p.sel) { layer.on('add', function () { layer.openPopup(); }); }
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
        detail_url: str = "",
        interactive: bool = True,
        control: bool = True,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "VectorLayer"
        self.data = data
        self.style = dict(style or {})
        self.styles = list(styles)
        self.popup_labels = [html.escape(label) for label in popup_labels]
        self.detail_url = detail_url
        self.interactive = interactive


class VectorMiniMap(MiniMap):
    """The minimap plugin drawing the countries context (or the tile URL when one is set).

    Parameters
    ----------
    countries
        GeoJSON FeatureCollection drawn when ``tile_url`` is empty.
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
        **kwargs: Any,
    ) -> None:
        # The parent builds an OpenStreetMap tile layer that this template never renders.
        super().__init__(tile_layer=None, **kwargs)
        self._name = "VectorMiniMap"
        self.tile_layer = None
        self.countries = countries
        self.country_style = style
        self.tile_url = tile_url
        self.tile_attribution = tile_attribution
