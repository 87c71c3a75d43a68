"""Leaflet layers of an indicator map as Folium elements: panes, context, units, zoning, legend, extra layers
of the registered providers, and the geometry loader that fits the map and fills the layers."""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Callable
from datetime import date

from django.utils.module_loading import import_string

from portal.maps import territory_map as maps
from portal.maps.choropleth.classes import ZONE_STYLES
from territories.models import Territory

UNIT_STYLE = {"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.85}
CONTOUR_STYLE = {"color": "#000091", "weight": 2.5, "fill": False}
HIGHLIGHT_STYLE = {"color": "#161616", "weight": 2}
PAGE_STYLE = (
    "<style>html .leaflet-container{font:12px/1.4 Marianne,Arial,sans-serif;background:#fff}"
    ".leaflet-tooltip.portal-tooltip{white-space:normal;width:260px}"
    ".leaflet-tooltip.portal-town{background:none;border:0;box-shadow:none;padding:0 2px;font-weight:bold;"
    "color:#161616;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}.leaflet-tooltip.portal-town:before{display:none}"
    "</style>"
)

# Extra layers: dotted paths of provider functions ``provider(territory, unit_codes) -> list[dict]``.
# Each dict: {"name": str (French), "features": [GeoJSON Feature…] (Point or polygons, properties "name"
# and optionally "label"), "color": "#rrggbb", "show": bool}. Providers live in the domain apps (they
# must not import portal) and must depend only on the territory and the reference data (the page is
# cached per data version). Registered: care structures by kind and CPTS perimeters (structures/); planned:
# access-to-rights points and prevention actions (prevention/).
MAX_SHOWN_POINTS = 150
LAYER_PROVIDERS: list[str] = ["structures.selectors.map_layers", "prevention.selectors.map_layers"]


def js_literal(value) -> str:
    """A JSON literal safe inside an inline <script>."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


NEIGHBOUR_STYLE = {"color": "#b8b8b8", "weight": 0.7, "fillColor": "#efefec", "fillOpacity": 1}
BOUNDARY_STYLE = {"color": "#3a3a3a", "weight": 1.6, "dashArray": "5 4", "fill": False}
TOWN_STYLE = {"radius": 3, "color": "#161616", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 1}


@functools.cache
def folium_elements():
    """Folium classes defined lazily (folium is imported on first use, not with this module)."""
    import types

    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    class _Panes(MacroElement):
        """Leaflet panes: context below the indicator, outlines and towns above it."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            [["portalContext", 350], ["portalOutline", 450], ["portalTowns", 460]].forEach(function (p) {
                {{ this._parent.get_name() }}.createPane(p[0]).style.zIndex = p[1];
            });
            {% endmacro %}
            """
        )

    class _LegendControl(MacroElement):
        """The legend, a Leaflet control at the bottom right; no Bootstrap, no inline event handler."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomright"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "portal-legend");
                div.setAttribute("role", "region");
                div.setAttribute("aria-label", "Légende");
                div.style.cssText = "background:#fff;padding:6px 8px;font:11px/1.3 Marianne,Arial,sans-serif;"
                    + "max-width:250px;max-height:70vh;overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)";
                div.innerHTML = {{ this.html }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, fragment: str):
            super().__init__()
            self._name = "PortalLegend"
            self.html = js_literal(fragment)

    class _ContextLayer(folium.map.Layer):
        """Neighbours (light grey), département boundaries and main towns: the map reads without tiles."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup();
            {{ this.get_name() }}.neighbours = L.geoJson(null, {
                pane: "portalContext", interactive: false, style: function () { return {{ this.neighbour }}; }
            }).addTo({{ this.get_name() }});
            {{ this.get_name() }}.outlines = L.geoJson(null, {
                pane: "portalOutline", interactive: false, style: function () { return {{ this.boundary }}; },
                pointToLayer: function (feature, latlng) {
                    return L.circleMarker(latlng, Object.assign({pane: "portalTowns", interactive: false}, {{ this.town }}))
                        .bindTooltip(feature.properties.name, {
                            permanent: true, direction: "right", offset: [3, 0], className: "portal-town"
                        });
                }
            }).addTo({{ this.get_name() }});
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, name: str, show: bool):
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "PortalContext"
            self.neighbour, self.boundary, self.town = (
                js_literal(NEIGHBOUR_STYLE),
                js_literal(BOUNDARY_STYLE),
                js_literal(TOWN_STYLE),
            )

    class _UnitsLayer(folium.map.Layer):
        """The indicator: the units' geometry (fetched once) joined with the values carried by the page."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_config = {{ this.config }};
            var {{ this.get_name() }} = (function (cfg) {
                function entry(feature) { return cfg.values[feature.id] || ["missing", null, ""]; }
                var layer = L.geoJson(null, {
                    style: function (feature) {
                        var cls = entry(feature)[0];
                        var fill = typeof cls === "number" ? cfg.colors[cls] : cfg.status_colors[cls];
                        return Object.assign({}, cfg.style, {fillColor: fill});
                    },
                    onEachFeature: function (feature, unit) {
                        var v = entry(feature);
                        var text = v[1] !== null ? v[1] + cfg.unit : cfg.status_labels[v[0]];
                        if (cfg.zones && v[2]) { text += cfg.zones[v[2]]; }
                        if (v[3]) { text += "<br>" + v[3]; }
                        unit.bindTooltip("<strong>" + feature.properties.name + "</strong><br>" + text + cfg.footer,
                            {sticky: true, className: "portal-tooltip"});
                        unit.on("mouseover", function () { unit.setStyle(cfg.highlight); });
                        unit.on("mouseout", function () { layer.resetStyle(unit); });
                    }
                });
                layer.config = cfg;
                return layer;
            })({{ this.get_name() }}_config);
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, name: str, config: dict):
            super().__init__(name=name, overlay=True, control=True, show=True)
            self._name = "PortalUnits"
            self.config = js_literal(config)

    class _ZoningLayer(folium.map.Layer):
        """The GP zoning, drawn from the units' geometry (no second copy of it)."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson(null, {
                interactive: false,
                style: function (feature) { return {{ this.styles }}[feature.properties.zone]; }
            });
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, day: date):
            super().__init__(
                name=f"Zonage ARS médecins généralistes (au {day:%d/%m/%Y})", overlay=True, control=True, show=False
            )
            self._name = "PortalZoning"
            self.styles = js_literal({str(k): v for k, v in ZONE_STYLES.items()})

    class _GeometryLoader(MacroElement):
        """Fits the map to the territory beside the legend, then fills the layers from the geometry."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }}, units = {{ this.units.get_name() }};
                var context = {{ this.context.get_name() }}, legend = map.getContainer().querySelector(".portal-legend");
                var size = map.getSize(), right = 12;
                if (legend && size.x > 2.2 * legend.offsetWidth) { right += legend.offsetWidth; }
                map.fitBounds({{ this.bounds }}, {paddingTopLeft: [12, 12], paddingBottomRight: [right, 12]});
                function layer(name) { return function (f) { return f.properties.layer === name; }; }
                function draw(data) {
                    var features = data.features, cfg = units.config;
                    context.neighbours.addData(features.filter(layer("neighbour")));
                    context.outlines.addData(features.filter(layer("boundary")).concat(features.filter(layer("town"))));
                    var drawn = cfg.whole ? [{type: "Feature", id: cfg.whole.properties.code,
                        properties: {layer: "unit", name: cfg.whole.properties.name}, geometry: cfg.whole.geometry}]
                        : features.filter(layer("unit"));
                    units.addData(drawn);
                    {% if this.zoning %}
                    {{ this.zoning.get_name() }}.addData(drawn.filter(function (f) {
                        return cfg.values[f.id] && cfg.values[f.id][2];
                    }).map(function (f) {
                        return {type: "Feature", properties: {zone: cfg.values[f.id][2]}, geometry: f.geometry};
                    }));
                    {% endif %}
                    map.getContainer().setAttribute("data-portal-ready", "1");
                }
                {% if this.url %}
                fetch({{ this.url }}, {credentials: "same-origin"}).then(function (response) {
                    if (!response.ok) { throw new Error(response.status); }
                    return response.json();
                }).then(draw).catch(function () {
                    var note = L.control({position: "topleft"});
                    note.onAdd = function () {
                        var div = L.DomUtil.create("div", "portal-map-error");
                        div.setAttribute("role", "alert");
                        div.style.cssText = "background:#fff;padding:6px 8px;margin-left:50px";
                        div.textContent = "Les contours n'ont pas pu être chargés : rechargez la page.";
                        return div;
                    };
                    note.addTo(map);
                });
                {% else %}
                draw({{ this.inline }});
                {% endif %}
            })();
            {% endmacro %}
            """
        )

        def __init__(self, *, geometry, context, units, zoning, legend, contour: dict):
            super().__init__()
            self._name = "PortalGeometry"
            self.context, self.units, self.zoning, self.legend = context, units, zoning, legend
            (min_lat, min_lon), (max_lat, max_lon) = maps.bounds(contour)
            self.bounds = js_literal([[min_lat, min_lon], [max_lat, max_lon]])
            self.url = js_literal(geometry) if isinstance(geometry, str) else ""
            self.inline = "" if isinstance(geometry, str) else geometry.decode().replace("</", "<\\/")

    class _ProviderLayer(folium.map.Layer):
        """An extra layer (:data:`LAYER_PROVIDERS`): points as small circles, polygons outlined."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson({{ this.data }}, {
                style: function () { return {{ this.style }}; },
                pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, {{ this.marker }}); },
                onEachFeature: function (feature, layer) {
                    var p = feature.properties;
                    layer.bindTooltip("<strong>" + p.name + "</strong>" + (p.label ? "<br>" + p.label : ""));
                }
            });
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, name: str, show: bool, color: str, features: list[dict]):
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "PortalExtra"
            self.data = js_literal({"type": "FeatureCollection", "features": features})
            self.style = js_literal({"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.25})
            self.marker = js_literal({"radius": 5, "color": color, "fillColor": color, "fillOpacity": 0.9, "weight": 1})

    return types.SimpleNamespace(
        ProviderLayer=_ProviderLayer,
        Panes=_Panes,
        LegendControl=_LegendControl,
        ContextLayer=_ContextLayer,
        UnitsLayer=_UnitsLayer,
        ZoningLayer=_ZoningLayer,
        GeometryLoader=_GeometryLoader,
    )


# --- Extra layers (registry) -------------------------------------------------------------------------


def provider_layers(territory: Territory, unit_codes: list[str]) -> list[dict]:
    """Layers of the registered providers (:data:`LAYER_PROVIDERS`), in registration order."""
    layers = []
    for path in LAYER_PROVIDERS:
        provider: Callable = import_string(path)
        layers.extend(layer for layer in provider(territory, unit_codes) if layer.get("features"))
    return layers


def add_provider_layer(folium_map, layer: dict) -> None:
    features = []
    for feature in layer["features"]:
        props = feature.get("properties") or {}
        label = props.get("label", "")
        properties = {"name": html.escape(str(props.get("name", "")))}
        if label:
            properties["label"] = html.escape(str(label))
        features.append({"type": "Feature", "properties": properties, "geometry": feature["geometry"]})
    folium_elements().ProviderLayer(
        name=html.escape(layer["name"]),
        # Hundreds of points hide the indicator: shown on request only (the layer control).
        show=layer.get("show", True) and len(features) <= MAX_SHOWN_POINTS,
        color=layer.get("color", "#000091"),
        features=features,
    ).add_to(folium_map)
