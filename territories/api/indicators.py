"""API of the indicator catalogue and of the values of one territory.

``GET /api/indicators/``: the catalogue. ``GET /api/territories/<code>/values/``: the stored values of a
territory the user may see (``Territory.objects.visible_to``; otherwise 404, never 403, so that no
private territory's existence leaks), filtered by ``year`` and ``indicator``. A masked value is returned
as ``{"value": null, "masked": true}``; numerators and denominators are never returned.
"""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..enums import Level, Profession
from ..models import Indicator, IndicatorValue, Territory


class IndicatorSerializer(serializers.ModelSerializer):
    profession = serializers.ChoiceField(
        choices=Profession.choices, allow_blank=True, read_only=True, help_text="Vide : toutes professions."
    )

    class Meta:
        model = Indicator
        fields = [
            "code",
            "label",
            "unit",
            "theme",
            "profession",
            "source",
            "vintage",
            "method",
            "direction",
            "aggregation",
            "scale",
            "decimals",
            "secret_basis",
            "secret_threshold",
            "is_public",
            "is_demo",
        ]
        read_only_fields = fields


class IndicatorListView(generics.ListAPIView):
    """The catalogue of indicators, with source, vintage, method and statistical-secret rule."""

    serializer_class = IndicatorSerializer
    filter_backends: list = []

    def get_queryset(self):
        return Indicator.objects.order_by("position", "code")


class ValuesQuerySerializer(serializers.Serializer):
    """Query parameters of the values endpoint (validated: a bad value is a 400 with a French message)."""

    year = serializers.IntegerField(
        required=False,
        min_value=1990,
        max_value=2100,
        error_messages={
            "invalid": "L'année doit être un nombre entier (ex. : 2024).",
            "min_value": "L'année doit être comprise entre 1990 et 2100.",
            "max_value": "L'année doit être comprise entre 1990 et 2100.",
        },
    )
    indicator = serializers.CharField(required=False, max_length=60)
    level = serializers.ChoiceField(
        required=False,
        choices=Level.choices,
        error_messages={"invalid_choice": "Niveau inconnu : « {input} »."},
    )

    def validate_indicator(self, value: str) -> Indicator:
        indicator = Indicator.objects.filter(code=value).first()
        if indicator is None:
            raise serializers.ValidationError(f"Indicateur inconnu : « {value} ». Voir /api/indicators/.")
        return indicator


class TerritoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["level", "code", "name"]
        read_only_fields = fields


class ValueSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    value = serializers.SerializerMethodField()
    masked = serializers.BooleanField(source="is_masked", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "year", "value", "masked", "is_demo"]
        read_only_fields = fields

    def get_value(self, obj: IndicatorValue) -> float | None:
        return None if obj.is_masked else obj.value


class TerritoryValuesSerializer(serializers.Serializer):
    territory = TerritoryRefSerializer()
    values = ValueSerializer(many=True)


TERRITORY_CODE = re.compile(r"[0-9A-Za-z]{1,12}")


def get_visible_territory_by_code(*, user, code: str, level: str | None = None) -> Territory:
    """The territory with this INSEE code or SIREN among those ``user`` may see.

    404 when none; 400 when the code matches several levels (e.g. « 11 »: a région and a département)
    and no ``level`` was given.
    """
    if not TERRITORY_CODE.fullmatch(code):  # e.g. a NUL character, which PostgreSQL refuses (a 500)
        raise NotFound("Territoire introuvable.")
    qs = Territory.objects.visible_to(user).filter(code=code.upper())
    if level:
        qs = qs.filter(level=level)
    matches = list(qs.only("level", "code", "name")[:2])
    if not matches:
        raise NotFound("Territoire introuvable.")
    if len(matches) > 1:
        raise ValidationError(
            {"level": f"Le code « {code} » désigne plusieurs territoires : précisez le niveau (?level=region, …)."}
        )
    return matches[0]


class TerritoryValuesView(APIView):
    """Values of the indicators of one territory, by year (all years unless ``year`` is given)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Code INSEE ou SIREN."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Année (1990–2100)."),
            OpenApiParameter("indicator", OpenApiTypes.STR, description="Code d'un indicateur du catalogue."),
            OpenApiParameter(
                "level",
                OpenApiTypes.STR,
                enum=Level.values,
                description="Niveau, quand le code est ambigu (région et département « 11 », …).",
            ),
        ],
        responses=TerritoryValuesSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        params = ValuesQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        territory = get_visible_territory_by_code(user=request.user, code=code, level=filters.get("level"))
        values = IndicatorValue.objects.filter(territory=territory).select_related("indicator")
        if "year" in filters:
            values = values.filter(year=filters["year"])
        if "indicator" in filters:
            values = values.filter(indicator=filters["indicator"])
        values = values.order_by("indicator__position", "indicator__code", "year").only(
            "year", "value", "is_masked", "is_demo", "indicator__code"
        )
        return Response(TerritoryValuesSerializer({"territory": territory, "values": values}).data)
