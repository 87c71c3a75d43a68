"""Serializers of the aid API (explicit fields; amounts as decimal strings, with their French text)."""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from territories.api.indicators import TerritoryRefSerializer

from ..enums import Beneficiary, CareerStage
from ..models import Aid, AidTerms


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError(f"Date invalide : « {value} » (format AAAA-MM-JJ attendu).") from None


class DateParamField(serializers.Field):
    """A date given as YYYY-MM-DD, between 2000 and 2100 (French messages)."""

    def to_internal_value(self, data) -> date:
        text = str(data).strip()
        if len(text) > 10:
            raise serializers.ValidationError("Date trop longue (format AAAA-MM-JJ attendu).")
        value = parse_day(text)
        if not (2000 <= value.year <= 2100):
            raise serializers.ValidationError("La date doit être comprise entre 2000 et 2100.")
        return value

    def to_representation(self, value: date) -> str:
        return value.isoformat()


@extend_schema_field({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class OptionalURLField(serializers.CharField):
    """A URL, or an empty string when the source has no link (the catalogue cites texts without one)."""


class CatalogueQuerySerializer(serializers.Serializer):
    date = DateParamField(required=False)


class EligibilityQuerySerializer(serializers.Serializer):
    commune = serializers.RegexField(
        r"^(\d{5}|2[AB]\d{3})$",
        error_messages={
            "required": "Paramètre « commune » obligatoire (code INSEE à 5 caractères).",
            "blank": "Paramètre « commune » obligatoire (code INSEE à 5 caractères).",
            "invalid": "Code INSEE de commune invalide (5 caractères, ex. : 38226).",
        },
    )
    profession = serializers.ChoiceField(
        choices=Beneficiary.choices,
        error_messages={
            "required": "Paramètre « profession » obligatoire (ex. : gp).",
            "invalid_choice": "Profession ou bénéficiaire inconnu : « {input} ».",
        },
    )
    career_stage = serializers.ChoiceField(
        required=False,
        choices=CareerStage.choices,
        error_messages={"invalid_choice": "Étape de carrière inconnue : « {input} »."},
    )
    date = DateParamField(required=False)


class AidTermsSerializer(serializers.ModelSerializer):
    amount_label = serializers.CharField(read_only=True, help_text="Le montant en clair, en français.")

    class Meta:
        model = AidTerms
        fields = [
            "valid_from",
            "valid_until",
            "amount_kind",
            "amount",
            "is_ceiling",
            "cap",
            "schedule",
            "amount_note",
            "amount_label",
            "conditions",
            "source",
        ]
        read_only_fields = fields


class AidSerializer(serializers.ModelSerializer):
    source_url = OptionalURLField(read_only=True, help_text="Lien vers la source (vide : pas de lien).")
    funder_territory = TerritoryRefSerializer(allow_null=True, read_only=True)
    terms = serializers.SerializerMethodField(help_text="Conditions en vigueur à la date demandée (null : aucune).")

    class Meta:
        model = Aid
        fields = [
            "slug",
            "name",
            "kind",
            "funder",
            "funder_territory",
            "beneficiaries",
            "career_stages",
            "zoning_condition",
            "description",
            "obligations",
            "legal_basis",
            "source",
            "source_url",
            "once_per_years",
            "non_cumulative_rule",
            "terms",
        ]
        read_only_fields = fields

    @extend_schema_field(AidTermsSerializer(allow_null=True))
    def get_terms(self, aid: Aid) -> dict | None:
        terms = aid.terms_in_force[-1] if aid.terms_in_force else None
        return AidTermsSerializer(terms).data if terms else None


class CatalogueSerializer(serializers.Serializer):
    date = serializers.DateField()
    aids = AidSerializer(many=True)


class AidRefSerializer(serializers.ModelSerializer):
    source_url = OptionalURLField(read_only=True, help_text="Lien vers la source (vide : pas de lien).")
    public_source = serializers.CharField(
        read_only=True, help_text="La source telle qu'elle s'affiche (ex. : Livret CPAM de l'Isère, 2026, p. 25-27)."
    )

    class Meta:
        model = Aid
        fields = ["slug", "name", "funder", "zoning_condition", "source", "public_source", "source_url"]
        read_only_fields = fields


class EligibleAidSerializer(serializers.Serializer):
    aid = AidRefSerializer()
    terms = AidTermsSerializer(allow_null=True)
    amount_label = serializers.CharField()
    eligible = serializers.BooleanField()
    why = serializers.ListField(child=serializers.CharField(), help_text="Pourquoi l'aide s'applique.")
    why_not = serializers.ListField(child=serializers.CharField(), help_text="Conditions non remplies.")
    notes = serializers.ListField(child=serializers.CharField(), help_text="Engagements et règles à vérifier.")
    computed_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="Montant calculé pour ce profil, en euros (null : aide non éligible, montant non chiffré, ou "
        "dépendant d'un paramètre non fourni, nommé dans « missing »).",
    )
    computation = serializers.CharField(
        source="computation.sentence", allow_null=True, default=None, help_text="Le calcul, en français."
    )
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Paramètres à fournir pour calculer le montant (ex. : years)."
    )


class TotalSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Total des aides cumulables, en euros."
    )
    sentence = serializers.CharField(help_text="Le total, en français (ex. : 10 000 € + 7 500 € = 17 500 €).")
    counted = serializers.SerializerMethodField(help_text="Identifiants des aides comptées.")
    explanations = serializers.ListField(
        child=serializers.CharField(), help_text="Aides non comptées et règles de non-cumul appliquées."
    )

    def get_counted(self, total) -> list[str]:
        return [item.aid.slug for item in total.counted]


class PapsSerializer(serializers.Serializer):
    url = serializers.URLField()
    label = serializers.CharField()
    regional = serializers.BooleanField(help_text="false : portail national (PAPS de la région non répertorié).")


class ZoningSerializer(serializers.Serializer):
    profession = serializers.CharField()
    zone = serializers.CharField()
    reference = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    is_demo = serializers.BooleanField()


class EligibilitySerializer(serializers.Serializer):
    commune = TerritoryRefSerializer()
    profession = serializers.CharField(source="beneficiary")
    career_stage = serializers.CharField(allow_null=True)
    date = serializers.DateField(source="on")
    zoning = ZoningSerializer(allow_null=True)
    zoning_text = serializers.CharField(source="zone_label")
    eligible = EligibleAidSerializer(many=True)
    near_misses = EligibleAidSerializer(many=True)
    total = TotalSerializer()
    paps = PapsSerializer(help_text="Le PAPS de la région de la commune.")
