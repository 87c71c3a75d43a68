"""Catalogue of the territorial-diagnosis indicators (issue « Diagnostic territorial », points 1–4).

Each entry names its source, vintage, method, reading direction, aggregation rule and statistical-secret
rule. ``sync_indicator_catalogue`` (``territories/services/indicator_catalogue.py``) loads it idempotently.

Aggregation: every value is stored per commune and computed for EPCI, département, région and France
from the communes: counts are summed; ratios are Σ numerators / Σ denominators × scale (never a mean of
ratios). Statistical secret: a value is masked when the count named by ``secret_basis`` is strictly
between 0 and ``secret_threshold`` (10 for patient counts from the Assurance Maladie, following the
SNDS rule of small counts; 5 for the age of professionals); secondary masking makes sure no masked
value can be recovered by subtraction (see ``indicator_aggregation``).

Series: ``series=True`` indicators (``SERIES``: those the dashboard, the fiche and the trend signals show as
5-year trends) are generated for every demonstration year (2021–2025); the others for the latest year only,
which keeps the demonstration database of all France to ≈ 2.6 million rows. Importers accept any year for
any indicator. Method texts say « Série annuelle » or « Dernière année seulement » accordingly.
"""

from .enums import Aggregation, Direction, Profession, SecretBasis, Theme

DEMO_SOURCE = "données de démonstration (générateur seedé, calé sur les ordres de grandeur nationaux)"
INSEE_POP = "INSEE, recensement de la population (populations légales)"
RPPS = "DREES / Annuaire santé (RPPS), professionnels libéraux et mixtes"
CNAM = "Assurance Maladie (Cnam), données de l'assurance maladie (SNDS)"
SPF = "Santé publique France, à partir des données de l'Assurance Maladie (SNDS)"

_PROFESSIONS = [
    # profession, code prefix, label (headcount), national order of magnitude (in the method)
    (Profession.GP, "gp", "Médecins généralistes libéraux et mixtes", "≈ 60 000 en France (DREES 2023)"),
    (Profession.NURSE, "nurse", "Infirmiers libéraux", "≈ 100 000 en France (DREES 2023)"),
    (Profession.PHYSIO, "physio", "Masseurs-kinésithérapeutes libéraux", "≈ 75 000 en France (DREES 2023)"),
    (Profession.DENTIST, "dentist", "Chirurgiens-dentistes libéraux", "≈ 37 000 en France (DREES 2023)"),
    (Profession.MIDWIFE, "midwife", "Sages-femmes libérales", "≈ 8 000 en France (DREES 2023)"),
    (Profession.PHARMACIST, "pharmacy", "Pharmacies d'officine", "≈ 20 000 en France (Ordre des pharmaciens 2023)"),
]


# Indicators with a demonstration series: population, GP supply and age (dashboard trends, « densité en baisse »
# signal), the densities the fiche charts, access (« patients sans médecin traitant en hausse » signal, APL, ZIP).
SERIES = {
    "population",
    "gp_count",
    "gp_density",
    "nurse_density",
    "physio_density",
    "dentist_density",
    "midwife_density",
    "gp_60_plus_share",
    "patients_without_gp_share",
    "apl_gp",
    "zip_population_share",
}
SERIES_TEXT = "Série annuelle."
LATEST_TEXT = "Dernière année seulement."
SERIES_VINTAGE = "2021–2025 (démonstration)"
LATEST_VINTAGE = "2025 (démonstration)"


def _entry(code, label, unit, theme, **kw):
    entry = {
        "code": code,
        "label": label,
        "unit": unit,
        "theme": theme,
        "profession": "",
        "source": DEMO_SOURCE,
        "vintage": SERIES_VINTAGE,
        "method": "",
        "direction": Direction.NEUTRAL,
        "aggregation": Aggregation.RATIO,
        "scale": 100,
        "decimals": 1,
        "secret_basis": SecretBasis.NONE,
        "secret_threshold": 0,
        "allows_negative": False,
        "is_public": True,
        "is_demo": True,
        "series": False,
    }
    entry.update(kw)
    return entry


def _build() -> list[dict]:
    pct = "%"
    out = [
        _entry(
            "population",
            "Population",
            "habitants",
            Theme.POPULATION,
            aggregation=Aggregation.SUM,
            scale=1,
            decimals=0,
            source=INSEE_POP + " ; années hors millésime légal : démonstration",
            vintage="population légale 2023 (en vigueur au 1er janvier 2026)",
            method="Population municipale de la commune ; somme des communes pour les niveaux supérieurs.",
        ),
        _entry(
            "pop_60_plus_share",
            "Part des 60 ans ou plus",
            pct,
            Theme.POPULATION,
            direction=Direction.NEUTRAL,
            source=INSEE_POP,
            method="Population de 60 ans ou plus / population × 100.",
        ),
        _entry(
            "pop_75_plus_share",
            "Part des 75 ans ou plus",
            pct,
            Theme.POPULATION,
            source=INSEE_POP,
            method="Population de 75 ans ou plus / population × 100.",
        ),
        _entry(
            "ald_share",
            "Part des assurés en affection de longue durée (ALD)",
            pct,
            Theme.POPULATION,
            direction=Direction.HIGHER_IS_WORSE,
            source=CNAM,
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            is_public=False,
            method="Assurés en ALD / population protégée × 100 (≈ 20 % en France, Cnam).",
        ),
        _entry(
            "css_share",
            "Part des bénéficiaires de la complémentaire santé solidaire (CSS)",
            pct,
            Theme.POPULATION,
            direction=Direction.HIGHER_IS_WORSE,
            source=CNAM,
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            is_public=False,
            method="Bénéficiaires de la CSS / population protégée × 100 (7,3 millions de bénéficiaires en 2021).",
        ),
        _entry(
            "deprivation_index",
            "Indice de défavorisation sociale (démonstration)",
            "écarts-types",
            Theme.POPULATION,
            direction=Direction.HIGHER_IS_WORSE,
            scale=1,
            decimals=2,
            allows_negative=True,
            source=DEMO_SOURCE + " ; en production : indice de type FDep (INSERM / INSEE Filosofi)",
            method="Indice centré réduit au niveau national ; agrégé en moyenne pondérée par la population "
            "(numérateur = indice × population, dénominateur = population).",
        ),
        _entry(
            "qpv_population_share",
            "Part de la population vivant en quartier prioritaire (QPV)",
            pct,
            Theme.POPULATION,
            direction=Direction.HIGHER_IS_WORSE,
            source="ANCT, population des quartiers prioritaires de la politique de la ville (QPV 2024)",
            method="Population en QPV / population × 100 (≈ 5,3 millions d'habitants en QPV).",
        ),
    ]
    for profession, prefix, label, magnitude in _PROFESSIONS:
        noun = label[0].lower() + label[1:]
        out.append(
            _entry(
                f"{prefix}_count",
                label,
                "professionnels" if prefix != "pharmacy" else "officines",
                Theme.SUPPLY,
                profession=profession,
                aggregation=Aggregation.SUM,
                scale=1,
                decimals=0,
                source=RPPS,
                direction=Direction.HIGHER_IS_BETTER,
                method=f"Effectif au 1er janvier par commune d'exercice principal ({magnitude}).",
            )
        )
        out.append(
            _entry(
                f"{prefix}_density",
                f"Densité de {noun} pour 10 000 habitants",
                "pour 10 000 habitants",
                Theme.SUPPLY,
                profession=profession,
                scale=10_000,
                source=RPPS + " ; " + INSEE_POP,
                direction=Direction.HIGHER_IS_BETTER,
                method="Effectif / population × 10 000 ; au-dessus de la commune : Σ effectifs / Σ populations.",
            )
        )
    out += [
        _entry(
            "gp_60_plus_share",
            "Part des médecins généralistes de 60 ans ou plus",
            pct,
            Theme.SUPPLY,
            profession=Profession.GP,
            direction=Direction.HIGHER_IS_WORSE,
            source=RPPS,
            secret_basis=SecretBasis.DENOMINATOR,
            secret_threshold=5,
            method="Généralistes de 60 ans ou plus / généralistes × 100 ; masqué sous 5 médecins (âge de personnes "
            "identifiables).",
        ),
        _entry(
            "gp_55_plus_share",
            "Part des médecins généralistes de 55 ans ou plus",
            pct,
            Theme.SUPPLY,
            profession=Profession.GP,
            direction=Direction.HIGHER_IS_WORSE,
            source=RPPS,
            secret_basis=SecretBasis.DENOMINATOR,
            secret_threshold=5,
            method="Généralistes de 55 ans ou plus / généralistes × 100 (France : 55 % des médecins de plus de "
            "55 ans selon le guide RfVS). Masqué sous 5 médecins.",
        ),
        _entry(
            "gp_liberal_share",
            "Part des médecins généralistes exerçant en libéral",
            pct,
            Theme.SUPPLY,
            profession=Profession.GP,
            source="DREES, RPPS (tous modes d'exercice)",
            method="Généralistes libéraux ou mixtes / généralistes en activité tous modes × 100 "
            "(≈ 60 000 / 99 000 en 2023).",
        ),
        _entry(
            "gp_count_evolution_5y",
            "Évolution sur 5 ans du nombre de médecins généralistes",
            pct,
            Theme.SUPPLY,
            profession=Profession.GP,
            direction=Direction.HIGHER_IS_BETTER,
            allows_negative=True,
            source=RPPS,
            secret_basis=SecretBasis.DENOMINATOR,
            secret_threshold=5,
            method="(Effectif de l'année − effectif 5 ans plus tôt) / effectif 5 ans plus tôt × 100 ; agrégé en "
            "sommant numérateurs et dénominateurs. Masqué sous 5 médecins au départ.",
        ),
        _entry(
            "patients_without_gp_count",
            "Patients sans médecin traitant",
            "patients",
            Theme.ACCESS,
            aggregation=Aggregation.SUM,
            scale=1,
            decimals=0,
            direction=Direction.HIGHER_IS_WORSE,
            source=CNAM,
            secret_basis=SecretBasis.VALUE,
            secret_threshold=10,
            is_public=False,
            method="Patients de 17 ans ou plus sans médecin traitant déclaré (6,7 millions en France, Cnam 2023). "
            "Masqué sous 10 patients.",
        ),
        _entry(
            "patients_without_gp_share",
            "Part des patients sans médecin traitant",
            pct,
            Theme.ACCESS,
            direction=Direction.HIGHER_IS_WORSE,
            source=CNAM,
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            is_public=False,
            method="Patients de 17 ans ou plus sans médecin traitant / patients de 17 ans ou plus × 100 "
            "(≈ 11 % en France, Cnam 2023).",
        ),
        _entry(
            "patients_without_gp_70_plus_share",
            "Part des 70 ans ou plus sans médecin traitant",
            pct,
            Theme.ACCESS,
            direction=Direction.HIGHER_IS_WORSE,
            source=CNAM,
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            is_public=False,
            method="Patients de 70 ans ou plus sans médecin traitant / patients de 70 ans ou plus × 100.",
        ),
        _entry(
            "patients_without_gp_ald_share",
            "Part des patients en ALD sans médecin traitant",
            pct,
            Theme.ACCESS,
            direction=Direction.HIGHER_IS_WORSE,
            source=CNAM,
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            is_public=False,
            method="Patients en ALD sans médecin traitant / patients en ALD × 100 (≈ 5 %, Cnam 2023).",
        ),
        _entry(
            "apl_gp",
            "Accessibilité potentielle localisée (APL) aux médecins généralistes",
            "consultations / an / habitant",
            Theme.ACCESS,
            scale=1,
            direction=Direction.HIGHER_IS_BETTER,
            source="DREES, indicateur APL (en démonstration : valeur simulée)",
            method="Consultations accessibles par an et par habitant standardisé (France ≈ 3,3 en 2022, sous 2,5 : "
            "sous-dense). Au-dessus de la commune : moyenne pondérée par la population (numérateur = APL × "
            "population, dénominateur = population), comme le fait la DREES.",
        ),
        _entry(
            "zip_population_share",
            "Part de la population en zone d'intervention prioritaire (ZIP, médecins)",
            pct,
            Theme.ACCESS,
            direction=Direction.HIGHER_IS_WORSE,
            source="ARS, arrêtés de zonage médecins (en démonstration : zonage simulé)",
            method="Population des communes classées ZIP au 1er janvier / population × 100 (≈ 30 % de la "
            "population en ZIP depuis le zonage 2022-2024).",
        ),
        _entry(
            "colorectal_screening_rate",
            "Taux de participation au dépistage du cancer colorectal",
            pct,
            Theme.PREVENTION,
            direction=Direction.HIGHER_IS_BETTER,
            source=SPF,
            vintage="2023-2024 (démonstration)",
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            method="Personnes de 50 à 74 ans dépistées sur 2 ans / population cible × 100 (≈ 34 %).",
        ),
        _entry(
            "breast_screening_rate",
            "Taux de participation au dépistage organisé du cancer du sein",
            pct,
            Theme.PREVENTION,
            direction=Direction.HIGHER_IS_BETTER,
            source=SPF,
            vintage="2023-2024 (démonstration)",
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            method="Femmes de 50 à 74 ans dépistées sur 2 ans / population cible × 100 (≈ 47 %).",
        ),
        _entry(
            "cervical_screening_rate",
            "Taux de couverture du dépistage du cancer du col de l'utérus",
            pct,
            Theme.PREVENTION,
            direction=Direction.HIGHER_IS_BETTER,
            source=SPF,
            vintage="2021-2023 (démonstration)",
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            method="Femmes de 25 à 65 ans dépistées sur 3 ans / population cible × 100 (≈ 59 %).",
        ),
        _entry(
            "flu_vaccination_65_plus",
            "Couverture vaccinale contre la grippe des 65 ans ou plus",
            pct,
            Theme.PREVENTION,
            direction=Direction.HIGHER_IS_BETTER,
            source=SPF,
            vintage="saison 2024-2025 (démonstration)",
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            method="Personnes de 65 ans ou plus vaccinées / population de 65 ans ou plus × 100 (≈ 54 %).",
        ),
        _entry(
            "hpv_vaccination_girls",
            "Couverture vaccinale HPV des jeunes filles (au moins une dose à 15 ans)",
            pct,
            Theme.PREVENTION,
            direction=Direction.HIGHER_IS_BETTER,
            source=SPF,
            vintage="2024 (démonstration)",
            secret_basis=SecretBasis.NUMERATOR,
            secret_threshold=10,
            method="Jeunes filles de 15 ans ayant reçu au moins une dose / jeunes filles de 15 ans × 100 (≈ 55 %).",
        ),
    ]
    for position, entry in enumerate(out, start=1):
        entry["position"] = position * 10
        entry["series"] = entry["code"] in SERIES
        method = entry["method"].replace(SERIES_TEXT, "").replace(LATEST_TEXT, "").rstrip()
        entry["method"] = f"{method} {SERIES_TEXT if entry['series'] else LATEST_TEXT}"
        if not entry["series"] and entry["vintage"] == SERIES_VINTAGE:
            entry["vintage"] = LATEST_VINTAGE
    return out


CATALOGUE: list[dict] = _build()
CATALOGUE_BY_CODE: dict[str, dict] = {e["code"]: e for e in CATALOGUE}
MODEL_FIELDS = [k for k in CATALOGUE[0] if k not in ("code", "series")]
