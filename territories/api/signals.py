"""API of the early-warning signals of one territory.

``GET /api/signals/?territory=<code>[&territory_level=<level>][&level=<alert|vigilance|info>]``: the computed
and reported signals of a territory the user may see (same rule as the pages: ``signals_for``), alertes
first. Unknown or invisible territory: 404 (never 403, no existence leak); bad parameters: 400 with a
French message.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..enums import Level, SignalLevel
from ..signal_selectors import signals_for
from .indicators import TerritoryRefSerializer, get_visible_territory_by_code


class SignalQuerySerializer(serializers.Serializer):
    territory = serializers.CharField(
        max_length=12,
        error_messages={
            "required": "Paramètre « territory » obligatoire (code INSEE ou SIREN).",
            "blank": "Paramètre « territory » obligatoire (code INSEE ou SIREN).",
            "max_length": "Code de territoire trop long.",
        },
    )
    territory_level = serializers.ChoiceField(
        required=False, choices=Level.choices, error_messages={"invalid_choice": "Niveau inconnu : « {input} »."}
    )
    level = serializers.ChoiceField(
        required=False,
        choices=SignalLevel.choices,
        error_messages={"invalid_choice": "Niveau de signal inconnu : « {input} » (alert, vigilance ou info)."},
    )


class SignalEntrySerializer(serializers.Serializer):
    origin = serializers.ChoiceField(choices=["computed", "reported"], help_text="Signal calculé ou remonté.")
    level = serializers.ChoiceField(choices=SignalLevel.choices)
    level_label = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField(help_text="Phrase d'explication avec les chiffres, ou description du signal remonté.")
    territory = TerritoryRefSerializer()
    comparison = serializers.CharField(help_text="Comparaison qui a déclenché le niveau (signal calculé).")
    year = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    vintage = serializers.CharField()
    is_demo = serializers.BooleanField()
    theme = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField(help_text="Statut du signal remonté (new, acknowledged, closed).")


class SignalsResponseSerializer(serializers.Serializer):
    territory = TerritoryRefSerializer()
    signals = SignalEntrySerializer(many=True)


class SignalListView(APIView):
    """Signals of one territory (computed from the indicators, and reported by élus or referents)."""

    @extend_schema(
        operation_id="signals_list",
        parameters=[
            OpenApiParameter("territory", OpenApiTypes.STR, required=True, description="Code INSEE ou SIREN."),
            OpenApiParameter(
                "territory_level",
                OpenApiTypes.STR,
                enum=Level.values,
                description="Niveau du territoire, quand le code est ambigu (région et département « 11 », …).",
            ),
            OpenApiParameter("level", OpenApiTypes.STR, enum=SignalLevel.values, description="Niveau de signal."),
        ],
        responses=SignalsResponseSerializer,
    )
    def get(self, request: Request) -> Response:
        params = SignalQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        territory = get_visible_territory_by_code(
            user=request.user, code=query["territory"], level=query.get("territory_level")
        )
        entries = signals_for(territory, user=request.user)
        if query.get("level"):
            entries = [e for e in entries if e.level == query["level"]]
        return Response(SignalsResponseSerializer({"territory": territory, "signals": entries}).data)
