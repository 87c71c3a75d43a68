"""Reading a professional's profile from query parameters, with one French message per bad field.

Shared by the API (``GET /api/aides/eligibilite/``) and the simulator page, so that both accept the same values
and say the same thing: :func:`read_profile` returns a :class:`~aids.services.amounts.Profile` or raises
``ValidationError`` with a message per parameter (« fte » : « Le temps de travail de l'assistant médical est
0,5 ou 1 ETP. »). Every parameter is optional; an empty value is « not given ».
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from territories.models import Territory

from .amounts import Profile

ALLOWED_FTE = (Decimal("0.5"), Decimal("1"))  # 004:L455 the schedule's two columns
# (parameter, French description) as documented in the API schema and shown as form labels.
PARAMETERS = {
    "study_year": "Année d'études de médecine (1 = 1re année ; le CESP commence en 2e année).",
    "fte": "Temps de travail de l'assistant médical : 0.5 ou 1 (ETP).",
    "years": "Nombre d'années sur lesquelles totaliser les montants (1 à 40).",
    "equipment_cost": "Coût du matériel d'installation, en euros (aide matérielle : 50 %, plafond 10 000 €).",
    "half_days_per_month": "Demi-journées de consultations avancées par mois (plafond : 12).",
    "home_commune": "Code INSEE de la commune où le médecin est installé (consultations avancées).",
    "age": "Âge du médecin (cumul emploi-retraite).",
    "full_rate_pension": "Retraite à taux plein : true ou false (cumul emploi-retraite).",
    "replacement": "Médecin remplaçant : true ou false (contrat de début d'exercice).",
}
TRUE, FALSE = {"true", "1", "oui", "on"}, {"false", "0", "non", "off"}


def _integer(value: str, low: int, high: int, message: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(message) from None
    if not low <= number <= high:
        raise ValueError(message)
    return number


def _boolean(value: str, name: str) -> bool:
    text = value.lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise ValueError(f"« {name} » vaut true ou false.")


def read_profile(params: Mapping[str, str], *, communes: QuerySet[Territory]) -> Profile:
    """The profile in ``params`` (query parameters); ``communes``: where ``home_commune`` may be (those the user
    may see). ``ValidationError`` with a French message per bad parameter."""
    values, errors = {}, {}

    def given(name: str) -> str | None:
        value = params.get(name)
        return None if value is None or str(value).strip() == "" else str(value).strip()

    readers = {
        "study_year": lambda v: _integer(v, 1, 12, "L'année d'études est un entier de 1 (1re année) à 12."),
        "years": lambda v: _integer(v, 1, 40, "Le nombre d'années est un entier de 1 à 40."),
        "half_days_per_month": lambda v: _integer(
            v, 0, 62, "Le nombre de demi-journées par mois est un entier de 0 à 62."
        ),
        "age": lambda v: _integer(v, 18, 100, "L'âge est un entier de 18 à 100 ans."),
        "fte": _fte,
        "equipment_cost": _cost,
        "full_rate_pension": lambda v: _boolean(v, "full_rate_pension"),
        "replacement": lambda v: _boolean(v, "replacement"),
    }
    for name, reader in readers.items():
        if (value := given(name)) is not None:
            try:
                values[name] = reader(value)
            except ValueError as error:
                errors[name] = str(error)
    if (code := given("home_commune")) is not None:
        commune = communes.filter(level="commune", code=code.upper()[:5]).first() if len(code) == 5 else None
        if commune is None:
            errors["home_commune"] = f"Commune d'installation inconnue : « {code[:10]} » (code INSEE à 5 caractères)."
        values["home_commune"] = commune
    if errors:
        raise ValidationError(errors)
    return Profile(**values)


def _fte(value: str) -> Decimal:
    try:
        fte = Decimal(value.replace(",", "."))
    except InvalidOperation:
        fte = None
    if fte is None or not fte.is_finite() or fte not in ALLOWED_FTE:
        raise ValueError("Le temps de travail de l'assistant médical est 0,5 ou 1 ETP.")
    return fte


def _cost(value: str) -> Decimal:
    try:
        cost = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValueError("Le coût du matériel est un montant en euros (ex. : 15000).") from None
    if not cost.is_finite():
        raise ValueError("Le coût du matériel est un montant en euros (ex. : 15000).")
    if cost < 0:
        raise ValueError("Le coût du matériel ne peut pas être négatif.")
    if cost > 10_000_000:
        raise ValueError("Le coût du matériel ne peut pas dépasser 10 000 000 €.")
    return cost.quantize(Decimal("0.01"))


def relevant_fields(beneficiary: str | None, career_stage: str | None) -> list[str]:
    """The profile parameters that change an amount or a rule for this beneficiary and stage (the simulator's
    form shows only these): the year of studies for the CESP, the assistant's FTE, the equipment cost of the
    Isère aide matérielle, the consultations avancées, the CDE's remplaçant, the cumul emploi-retraite."""
    fields: list[str] = []
    if beneficiary in ("medical_student", "gp_student"):
        fields += ["study_year", "years"]
    elif beneficiary == "assistant_employer":
        fields += ["fte", "years"]
    elif beneficiary == "structure":
        fields += ["years"]
    elif beneficiary == "gp":
        if career_stage in (None, "", "first_installation"):
            fields += ["equipment_cost"]
        if career_stage in (None, "", "installed"):
            fields += ["home_commune", "half_days_per_month", "years"]
        if career_stage != "retired_working":
            fields += ["replacement"]
        if career_stage in (None, "", "retired_working"):
            fields += ["age", "full_rate_pension"]
    return fields
