"""Choropleth maps of one indicator over a territory: a Folium (Leaflet) page with layers and a legend.

What is drawn, by level of the mapped territory (:data:`portal.maps.geometry.UNITS`): the communes of a
région, a département or an EPCI; the IRIS of a commune (or the commune itself, « pas de données
infra-communales », when no IRIS value is stored); the départements of France.

Values and geometry are sent once: the page carries the values by unit code; the geometry (units, and the
context layer: neighbours, département boundaries, main towns) is the same for every indicator, year,
classification and user, fitted to the scale shown, and fetched from ``contours.geojson``
(:mod:`portal.maps.geometry`, cached per data version, by the browser too). The downloaded file inlines it.

Layers (custom Leaflet layers in Folium elements, a LayerControl; no Bootstrap or jQuery needed):
- the context layer (light grey neighbours, dashed département boundaries, town names), so that a map
  reads without base-map tiles; hidden by default when ``MAP_TILES_URL`` is set;
- the indicator, in 5 classes on a sequential scale where the dark end is always the worrying one
  (:func:`class_colors`): quantiles by default, Fisher-Jenks (jenkspy) on request, zero in a class of its
  own when it is the minimum (:func:`class_bounds`); the legend names the method. Masked values are grey
  « secret statistique » and carry no value in the page; missing values are « pas de donnée »;
- the territory's contour; the ARS zoning of the communes for GPs (ZIP / ZAC / hors zone) in force today;
- any layer of :data:`LAYER_PROVIDERS` (care structures, CPTS perimeters, access-to-rights points,
  prevention actions), simplified to the scale; crowded point layers hidden until asked for.
The map is fitted to the territory in the space the legend leaves free.

Access: the view has checked that the user may see the territory. Values of a non-public indicator are
shown only for the units the user may see (``Territory.objects.visible_to``), the others are
« non communiqué », as on the dashboard. The rendered page is cached per territory, indicator, year,
classification, data version (latest DataSource), tiles URL, day (zoning in force) and, for a
non-public indicator, the user's visibility scope.

Memory: neither mapclassify (scipy, scikit-learn, matplotlib: +110 MB) nor geopandas is imported here;
classes use numpy and jenkspy, geometry shapely only.

The page works offline and under the portal's CSP (see :mod:`portal.maps.territory_map`): Leaflet from our static
files, nonce on inline scripts, the legend is a Leaflet control built from escaped HTML, no inline event
handler. :func:`standalone_html` inlines Leaflet's JS and CSS and the geometry so that the downloaded file
opens from disk.

Other services (the GeneratedDocument ``map_html`` job) call :func:`resolve` then :func:`standalone_html`.

Modules: :mod:`.spec` (request → what the map shows, and its data), :mod:`.classes` (breaks, colours, legend),
:mod:`.layers` (the Leaflet layers as Folium elements, the extra-layer registry), :mod:`.render` (cached page,
downloaded file). The names other packages use are re-exported here.
"""

from portal.maps.choropleth import layers
from portal.maps.choropleth.classes import (
    BLUES,
    REDS,
    STATUS_COLORS,
    build_classes,
    class_bounds,
    class_colors,
    class_of,
    scheme_label,
    zero_apart,
)
from portal.maps.choropleth.render import (
    cache_key,
    choropleth_html,
    download_filename,
    geometry_url,
    map_filename,
    render_choropleth,
    standalone_html,
)
from portal.maps.choropleth.spec import ChoroplethError, ChoroplethSpec, MapChoices, map_choices, resolve

__all__ = [
    "BLUES",
    "REDS",
    "STATUS_COLORS",
    "ChoroplethError",
    "ChoroplethSpec",
    "MapChoices",
    "build_classes",
    "cache_key",
    "choropleth_html",
    "class_bounds",
    "class_colors",
    "class_of",
    "download_filename",
    "geometry_url",
    "layers",
    "map_choices",
    "map_filename",
    "render_choropleth",
    "resolve",
    "scheme_label",
    "standalone_html",
    "zero_apart",
]
