"""Serializers of the prevention API (explicit fields, French labels next to the codes)."""

from __future__ import annotations

from rest_framework import serializers

from territories.models import Territory

from ..enums import AccessPointKind, Axis, CollectivityRole, Lever
from ..models import AccessPoint, Initiative


class PreventionCommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["code", "name"]
        read_only_fields = fields


class AccessPointSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    commune = PreventionCommuneSerializer(read_only=True)
    services_labels = serializers.ListField(
        source="get_services_display", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = AccessPoint
        fields = [
            "id",
            "kind",
            "kind_label",
            "name",
            "address",
            "commune",
            "latitude",
            "longitude",
            "opening_hours",
            "services",
            "services_labels",
            "is_demo",
        ]
        read_only_fields = fields


class InitiativeSerializer(serializers.ModelSerializer):
    commune = PreventionCommuneSerializer(read_only=True, allow_null=True)
    axis_label = serializers.CharField(source="get_axis_display", read_only=True)
    lever_label = serializers.CharField(source="get_lever_display", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    source = serializers.CharField(source="source_label", read_only=True, help_text="Document et lignes citées.")

    class Meta:
        model = Initiative
        fields = [
            "slug",
            "title",
            "summary",
            "place_label",
            "commune",
            "scale",
            "period",
            "axis",
            "axis_label",
            "lever",
            "lever_label",
            "role",
            "role_label",
            "role_detail",
            "publics",
            "pilot",
            "partners",
            "results",
            "source_document",
            "source_lines",
            "source",
            "url",
        ]
        read_only_fields = fields


class TerritoryParamSerializer(serializers.Serializer):
    territoire = serializers.RegexField(
        r"^[a-z]+:[0-9A-Za-z]{1,12}$",
        required=False,
        error_messages={
            "invalid": "Paramètre « territoire » attendu sous la forme <niveau>:<code> (ex. epci:200030658)."
        },
    )

    def validate_territoire(self, value: str) -> tuple[str, str]:
        level, code = value.split(":", 1)
        return level, code.upper()


class PointQuerySerializer(TerritoryParamSerializer):
    kind = serializers.ChoiceField(
        required=False,
        choices=AccessPointKind.choices,
        error_messages={"invalid_choice": "Type de point d'accès inconnu : « {input} »."},
    )


class InitiativeQuerySerializer(TerritoryParamSerializer):
    axis = serializers.ChoiceField(
        required=False, choices=Axis.choices, error_messages={"invalid_choice": "Axe inconnu : « {input} »."}
    )
    lever = serializers.ChoiceField(
        required=False, choices=Lever.choices, error_messages={"invalid_choice": "Levier inconnu : « {input} »."}
    )
    role = serializers.ChoiceField(
        required=False,
        choices=CollectivityRole.choices,
        error_messages={"invalid_choice": "Rôle de la collectivité inconnu : « {input} »."},
    )
