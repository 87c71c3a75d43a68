"""The indicators the accessibility engine stores, and the alert rule of the five-year outlook.

Kept here rather than in the demonstration catalogue: they are computed by the portal (never simulated), from
whatever supply is loaded; ``ensure_indicators`` creates or updates them before each storage.
"""

from __future__ import annotations

from territories.enums import Aggregation, Direction, Profession, SecretBasis, SignalComparison, Theme
from territories.models import Indicator, SignalRule

from .inputs import OUTLOOK_YEARS, RETIREMENT_AGE

APL_COMPUTED = "apl_gp_computed"
APL_OUTLOOK_CHANGE = "apl_gp_computed_5y_change"
OUTLOOK_RULE = "apl_computed_outlook_falling"
SOURCE = "Calcul du portail (méthode à deux étapes avec décroissance, comme l'APL de la DREES)"

METHOD = (
    "Consultations de médecine générale accessibles par an et par habitant standardisé, calculées par le portail "
    "comme la DREES calcule l'APL : l'offre de chaque commune (médecins généralistes libéraux en équivalents temps "
    "plein × 4 000 consultations par an) est partagée entre les habitants qui l'atteignent, pondérés par la "
    "consommation de soins de leur âge, puis chaque commune additionne les parts qu'elle atteint. Poids selon le "
    "temps de trajet entre centres des communes : 1 sous 10 minutes, 2/3 de 10 à 20, 1/3 de 20 à 30, 0 au-delà ; "
    "temps estimé à vol d'oiseau × 1,3 à 50 km/h. Au-dessus de la commune : moyenne pondérée par la population. "
    "Millésime : l'année des effectifs de médecins utilisés."
)

DEFINITIONS = [
    {
        "code": APL_COMPUTED,
        "label": "Accessibilité aux médecins généralistes calculée par le portail",
        "unit": "consultations / an / habitant",
        "theme": Theme.ACCESS,
        "profession": Profession.GP,
        "method": METHOD,
        "direction": Direction.HIGHER_IS_BETTER,
        "aggregation": Aggregation.RATIO,
        "scale": 1,
        "decimals": 1,
        "allows_negative": False,
        "position": 405,
    },
    {
        "code": APL_OUTLOOK_CHANGE,
        "label": "Évolution de l'accessibilité calculée à 5 ans si les médecins de 67 ans ne sont pas remplacés",
        "unit": "%",
        "theme": Theme.ACCESS,
        "profession": Profession.GP,
        "method": f"Accessibilité recalculée sans les médecins généralistes qui atteignent {RETIREMENT_AGE} ans "
        f"dans les {OUTLOOK_YEARS} ans (âges connus par tranche : 3/4 des 60 ans ou plus), sans remplacement ni "
        "installation, comparée à l'accessibilité actuelle, en %. Au-dessus de la commune : rapport des sommes "
        "pondérées par la population.",
        "direction": Direction.HIGHER_IS_BETTER,
        "aggregation": Aggregation.RATIO,
        "scale": 100,
        "decimals": 1,
        "allows_negative": True,
        "position": 406,
    },
]

OUTLOOK_RULE_DEFINITION = {
    "code": OUTLOOK_RULE,
    "label": "Risque de baisse de l'accessibilité",
    "comparison": SignalComparison.BELOW_THRESHOLD,
    # The demo supply loses about a quarter of its GPs in 5 years everywhere (a third aged 60 or more): the signal
    # flags the communes that would lose clearly more than that, the worst quarter of them or so.
    "vigilance_threshold": -30,
    "alert_threshold": -40,
    "explanation_template": "Risque de baisse de l'accessibilité : si les médecins généralistes qui atteignent "
    "67 ans d'ici 5 ans ne sont pas remplacés, l'accessibilité évoluerait de {value} "
    "({reference_label} : {reference}).",
}


def ensure_indicators(*, is_demo: bool, vintage: str) -> dict[str, Indicator]:
    """Create or update the computed indicators (source, vintage, demo flag follow the supply used) and the
    outlook's alert rule (created once, never overwritten: the administrator's edits win)."""
    out = {}
    for definition in DEFINITIONS:
        fields = {k: v for k, v in definition.items() if k != "code"}
        fields |= {
            "source": SOURCE + (" ; offre de démonstration" if is_demo else " ; offre RPPS"),
            "vintage": vintage,
            "secret_basis": SecretBasis.NONE,
            "secret_threshold": 0,
            "is_public": True,
            "is_demo": is_demo,
        }
        out[definition["code"]], _ = Indicator.objects.update_or_create(code=definition["code"], defaults=fields)
    if not SignalRule.objects.filter(code=OUTLOOK_RULE).exists():
        rule = SignalRule(**OUTLOOK_RULE_DEFINITION, indicator=out[APL_OUTLOOK_CHANGE], position=900)
        rule.full_clean()
        rule.save()
    return out
