"""What one indicator map shows: the request resolved into a :class:`ChoroplethSpec`, the form's choices,
and the units with their values, statuses and GP zoning (constant number of queries)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from portal.maps import geometry as map_geometry
from portal.maps import territory_map as maps
from portal.maps.geometry import UNITS
from territories.enums import Level, Profession
from territories.models import Indicator, IndicatorValue, Territory, Zoning

DEFAULT_INDICATOR = "gp_density"
SCHEMES = {"quantiles": "quantiles", "jenks": "seuils naturels (Fisher-Jenks)"}
MASKED = "masked"
MISSING = "missing"
RESTRICTED = "restricted"


class ChoroplethError(Exception):
    """A request the map cannot answer (unknown indicator, year without values…), with a French message."""


@dataclass(frozen=True)
class ChoroplethSpec:
    """What one map shows: resolved from the request by :func:`resolve`."""

    territory: Territory
    indicator: Indicator
    year: int
    scheme: str
    user: object = field(compare=False, repr=False)
    years: tuple[int, ...] = ()

    @property
    def restricted(self) -> bool:
        """Whether values must be filtered by the user's visibility (non-public indicator, non-admin)."""
        return not self.indicator.is_public and not getattr(self.user, "is_portal_admin", False)

    @property
    def audience(self) -> str:
        if not self.restricted:
            return "all"
        user = self.user
        return f"{getattr(user, 'role', '')}-{getattr(user, 'territory_id', '')}-{getattr(user, 'department_id', '')}"


# --- Choices and request resolution ------------------------------------------------------------------


@dataclass
class MapChoices:
    """Indicators and years with a value for a territory, for the map form of its page (one query)."""

    indicators: list[tuple[str, str]]  # (code, label), catalogue order
    years: list[int]  # most recent first
    default_indicator: str
    schemes: list[tuple[str, str]] = field(default_factory=lambda: list(SCHEMES.items()))  # default first


def map_choices(territory: Territory) -> MapChoices | None:
    """The map form's choices, or None when no map can be drawn for ``territory``."""
    if territory.level not in UNITS or not territory.has_geometry:
        return None
    rows = (
        IndicatorValue.objects.filter(territory=territory)
        .values_list("indicator__code", "indicator__label", "indicator__position", "year")
        .distinct()
        .order_by()
    )
    indicators, years = {}, set()
    for code, label, position, year in rows:
        indicators[code] = (position, code, label)
        years.add(year)
    if not indicators:
        return None
    ordered = [(code, label) for _, code, label in sorted(indicators.values())]
    default = DEFAULT_INDICATOR if DEFAULT_INDICATOR in indicators else ordered[0][0]
    return MapChoices(indicators=ordered, years=sorted(years, reverse=True), default_indicator=default)


def resolve(
    *, territory: Territory, user, indicator_code: str = "", year: str = "", scheme: str = ""
) -> ChoroplethSpec:
    """The map asked for by ``?indicateur=&annee=&classes=`` (2 queries); raises :class:`ChoroplethError`.

    No indicator means :data:`DEFAULT_INDICATOR`, no year the most recent year with a value for the territory.
    """
    if territory.level not in UNITS:
        raise ChoroplethError("Pas de carte d'indicateur à ce niveau : choisissez la commune ou l'intercommunalité.")
    indicator = Indicator.objects.filter(code=(indicator_code or DEFAULT_INDICATOR)[:60]).first()
    if indicator is None:
        raise ChoroplethError("Indicateur inconnu.")
    years = tuple(
        sorted(
            IndicatorValue.objects.filter(territory=territory, indicator=indicator)
            .values_list("year", flat=True)
            .order_by(),
            reverse=True,
        )
    )
    if not years:
        raise ChoroplethError(f"Aucune valeur de l'indicateur « {indicator.label} » pour ce territoire.")
    if not year:
        chosen = years[0]
    elif year.isdigit() and int(year) in years:
        chosen = int(year)
    else:
        available = ", ".join(str(y) for y in years)
        raise ChoroplethError(
            f"Pas de valeur de l'indicateur « {indicator.label} » pour l'année demandée. "
            f"Années disponibles : {available}."
        )
    if scheme and scheme not in SCHEMES:
        raise ChoroplethError("Méthode de classement inconnue (quantiles ou jenks).")
    return ChoroplethSpec(
        territory=territory, indicator=indicator, year=chosen, scheme=scheme or "quantiles", user=user, years=years
    )


# --- Data --------------------------------------------------------------------------------------------


@dataclass
class Unit:
    code: str
    name: str
    value: float | None = None
    status: str = MISSING  # MISSING, MASKED, RESTRICTED or "value"
    is_demo: bool = False
    zone: str = ""


def load_units(spec: ChoroplethSpec) -> tuple[dict, list[Unit], str, str]:
    """(contour feature, units with values and zoning, unit level, note). Constant number of queries.

    The units' geometries are not loaded here: the page fetches them from :mod:`portal.maps.geometry`.
    """
    territory = spec.territory
    unit_level, link, _use = UNITS[territory.level]
    contour = map_geometry.contour_of(territory)
    if contour is None:
        raise ChoroplethError("Le contour de ce territoire n'est pas disponible.")
    scope = {"territory__level": unit_level}
    if link:
        scope[f"territory__{link}"] = territory
    units = [
        Unit(code=code, name=name)
        for code, name in Territory.objects.filter(**{k.removeprefix("territory__"): v for k, v in scope.items()})
        .order_by("code")
        .values_list("code", "name")
    ]
    _attach_values(spec, units, scope)
    note = ""
    if unit_level == Level.IRIS and not any(u.status != MISSING for u in units):
        # No IRIS value: the commune is drawn whole.
        note = "Pas de données infra-communales : la commune est représentée entière."
        unit_level = Level.COMMUNE
        units = [Unit(code=territory.code, name=territory.name)]
        _attach_values(spec, units, {"territory": territory})
    if unit_level == Level.COMMUNE:
        _attach_zoning(units, {"commune": territory} if note else {f"commune__{link}": territory})
    return maps.as_feature(contour, name=territory.name, code=territory.code), units, unit_level, note


def _attach_values(spec: ChoroplethSpec, units: list[Unit], scope: dict) -> None:
    """One query: the indicator's values for the units; never the numerator or denominator."""
    qs = IndicatorValue.objects.filter(indicator=spec.indicator, year=spec.year, **scope)
    fields = ["territory__code", "value", "is_masked", "is_demo"]
    if spec.restricted:
        visible = Territory.objects.visible_to(spec.user).filter(pk=OuterRef("territory_id"))
        qs = qs.annotate(is_visible=Exists(visible))
        fields.append("is_visible")
    by_code = {u.code: u for u in units}
    for code, value, is_masked, is_demo, *visibility in qs.values_list(*fields).order_by():  # tuples: 5,000 rows
        unit = by_code.get(code)
        if unit is None:
            continue
        unit.is_demo = is_demo
        if visibility and not visibility[0]:
            unit.status = RESTRICTED
        elif is_masked:
            unit.status = MASKED
        elif value is not None:
            unit.status, unit.value = "value", value


def _attach_zoning(units: list[Unit], scope: dict) -> None:
    """One query: the GP zoning in force today of the communes (the latest arrêté if several overlap)."""
    rows = (
        Zoning.objects.in_force(on=timezone.localdate())
        .filter(profession=Profession.GP, **scope)
        .order_by("valid_from")
        .values_list("commune__code", "zone")
    )
    zones = dict(rows)
    for unit in units:
        unit.zone = zones.get(unit.code, "")
