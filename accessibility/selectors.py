"""What pages and the fiche show of the computed accessibility: the figure beside the DREES APL, the gap between
them explained, the five-year outlook and the population under the « sous-densité » threshold.

``summary(communes)``: 2 queries whatever the number of communes, population-weighted from the communes' stored
values (the rule of the stored aggregates, so a territory's figure is the one its page shows).
"""

from __future__ import annotations

from dataclasses import dataclass

from territories.models import IndicatorValue

from .engine import DecayBands, Parameters, StraightLineTravel
from .indicators import APL_COMPUTED, APL_OUTLOOK_CHANGE
from .inputs import FTE_PER_GP, OUTLOOK_YEARS, RETIREMENT_AGE
from .scenarios import ZIP_THRESHOLD

DREES_APL = "apl_gp"

# Why the portal's figure differs from the DREES APL (shown beside both).
DIFFERENCES = [
    "Temps de trajet : la DREES utilise les temps de trajet routiers entre communes (distancier Metric de "
    "l'INSEE) ; le portail les estime à vol d'oiseau × 1,3 à 50 km/h, en attendant un distancier.",
    "Offre : la DREES convertit l'activité réelle de chaque médecin (données de l'Assurance Maladie) en "
    "équivalents temps plein et exclut les médecins de 65 ans ou plus ; le portail compte chaque médecin "
    "généraliste libéral comme un temps plein à 4 000 consultations par an, sans limite d'âge.",
    "Demande : la DREES pondère la population par la consommation de soins par sexe et tranche d'âge "
    "quinquennale ; le portail utilise trois tranches (moins de 60 ans, 60-74 ans, 75 ans ou plus).",
    "Portée : la DREES retient les médecins à moins de 20 minutes (poids 1, 2/3, 1/3 par bandes de 5 minutes "
    "au-delà de 10) ; le portail va jusqu'à 30 minutes (poids 1, 2/3, 1/3 par bandes de 10 minutes).",
    "Millésime : l'APL de la DREES paraît une fois par an avec plus d'un an de décalage ; le calcul du portail "
    "suit les effectifs en base dès qu'ils changent.",
]


def method_parameters(parameters: Parameters | None = None) -> list[tuple[str, str]]:
    """The parameters of the computation, in French, for the method page and the fiche."""
    parameters = parameters or Parameters()
    decay: DecayBands = parameters.decay
    travel = parameters.travel
    bands, start = [], 0.0
    for edge, weight in zip(decay.edges_min, decay.weights, strict=True):
        bands.append(f"{weight:.2f}".replace(".", ",") + f" de {start:g} à {edge:g} min")
        start = edge
    out = [
        ("Décroissance par bandes de temps", " ; ".join(bands) + f" ; 0 au-delà de {decay.reach_min:g} min"),
        (
            "Offre",
            f"médecins généralistes libéraux et mixtes, {FTE_PER_GP:g} ETP par médecin × "
            f"{parameters.consultations_per_fte:,.0f} consultations par an".replace(",", "\u202f"),
        ),
        (
            "Demande",
            "population légale pondérée par la consommation de soins de généraliste selon l'âge "
            "(moins de 60 ans 0,83 ; 60-74 ans 1,24 ; 75 ans ou plus 1,82)",
        ),
        ("Seuil de sous-densité", f"{ZIP_THRESHOLD:g}".replace(".", ",") + " consultations par an et par habitant"),
        ("Perspective à 5 ans", f"départ à {RETIREMENT_AGE} ans sans remplacement sur {OUTLOOK_YEARS} ans"),
    ]
    if isinstance(travel, StraightLineTravel):
        out.insert(
            1,
            (
                "Temps de trajet",
                f"distance à vol d'oiseau entre centres des communes × "
                f"{travel.road_factor:g} à {travel.speed_kmh:g} km/h".replace(".", ","),
            ),
        )
    return out


@dataclass
class Summary:
    year: int | None = None
    computed: float | None = None
    is_demo: bool = False
    drees: float | None = None
    drees_is_demo: bool = False
    outlook_change_pct: float | None = None
    population_under: int | None = None
    population: int | None = None

    @property
    def difference(self) -> float | None:
        return None if self.computed is None or self.drees is None else self.computed - self.drees

    @property
    def outlook(self) -> float | None:
        if self.computed is None or self.outlook_change_pct is None:
            return None
        return self.computed * (1 + self.outlook_change_pct / 100)

    @property
    def differences(self) -> list[str]:
        return DIFFERENCES


def summary(communes) -> Summary:
    """Computed accessibility of a territory (or a set of communes, ``communes`` a queryset) beside the DREES APL."""
    codes = [APL_COMPUTED, DREES_APL, APL_OUTLOOK_CHANGE]
    rows = list(
        IndicatorValue.objects.filter(indicator__code__in=codes, territory__in=communes.values("pk")).values_list(
            "territory_id", "indicator__code", "year", "numerator", "denominator", "is_demo"
        )
    )
    latest = max((year for _, code, year, *_ in rows if code == APL_COMPUTED), default=None)
    out = Summary(year=latest)
    if latest is None:
        return out
    population = dict(communes.values_list("pk", "population"))
    sums: dict[str, list[float]] = {code: [0.0, 0.0] for code in codes}
    demo: dict[str, bool] = dict.fromkeys(codes, False)
    under = 0
    for territory_id, code, year, numerator, denominator, is_demo in rows:
        if year != latest or numerator is None or not denominator:
            continue
        sums[code][0] += numerator
        sums[code][1] += denominator
        demo[code] |= is_demo
        if code == APL_COMPUTED and numerator / denominator < ZIP_THRESHOLD:
            under += population.get(territory_id, 0)
    ratio = {code: (n / d if d else None) for code, (n, d) in sums.items()}
    out.computed, out.is_demo = ratio[APL_COMPUTED], demo[APL_COMPUTED]
    out.drees, out.drees_is_demo = ratio[DREES_APL], demo[DREES_APL]
    out.outlook_change_pct = None if ratio[APL_OUTLOOK_CHANGE] is None else ratio[APL_OUTLOOK_CHANGE] * 100
    out.population_under = under
    out.population = sum(population.values())
    return out
