"""API of the care structures of a territory.

``GET /api/structures/?territoire=<level>:<code>[&kind=<kind>][&etat=<operating|project|closed>]``: the
structures of a territory the user may see (``Territory.objects.visible_to``; otherwise 404, never 403):
located in its communes, or CPTS covering one of them; not closed unless ``etat=closed``. Without
``territoire``: the élu's territory, the referent's département, France for an administrator. Paginated
(``limit``/``offset``), teams and CPTS communes included, 5 queries whatever the page size.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound

from territories.enums import Level
from territories.models import Territory

from ..enums import OPERATING_STAGES, Stage, StructureKind
from ..models import Structure, TeamCount


class TeamCountSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamCount
        fields = ["profession", "headcount", "fte"]
        read_only_fields = fields


class CommuneRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["code", "name"]
        read_only_fields = fields


class StructureSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    commune = CommuneRefSerializer(read_only=True)
    team = TeamCountSerializer(many=True, read_only=True)
    covered_communes = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="CPTS : codes INSEE des communes couvertes."
    )

    class Meta:
        model = Structure
        fields = [
            "id",
            "kind",
            "kind_label",
            "name",
            "stage",
            "stage_label",
            "finess",
            "address",
            "postal_code",
            "commune",
            "latitude",
            "longitude",
            "opened_on",
            "france_sante",
            "france_sante_on",
            "population_covered",
            "covered_communes",
            "team",
            "is_demo",
        ]
        read_only_fields = fields


class StructureQuerySerializer(serializers.Serializer):
    territoire = serializers.RegexField(
        r"^[a-z]+:[0-9A-Za-z]{1,12}$",
        required=False,
        error_messages={
            "invalid": "Paramètre « territoire » attendu sous la forme <niveau>:<code> (ex. epci:200030658)."
        },
    )
    kind = serializers.ChoiceField(
        required=False,
        choices=StructureKind.choices,
        error_messages={"invalid_choice": "Type de structure inconnu : « {input} »."},
    )
    etat = serializers.ChoiceField(
        required=False,
        choices=[("operating", "en fonctionnement"), ("project", "en projet"), ("closed", "fermées")],
        error_messages={"invalid_choice": "État inconnu : « {input} » (operating, project ou closed)."},
    )

    def validate_territoire(self, value: str) -> tuple[str, str]:
        level, code = value.split(":", 1)
        if level not in Level.values:
            raise serializers.ValidationError(f"Niveau de territoire inconnu : « {level} ».")
        return level, code.upper()


def default_territory(user) -> Territory | None:
    if getattr(user, "is_elu", False) and user.territory_id:
        return user.territory
    if getattr(user, "is_referent", False) and user.department_id:
        return user.department
    return Territory.objects.filter(level=Level.COUNTRY).first()


class StructureListView(generics.ListAPIView):
    """Care structures (CPTS, MSP, centres de santé, ESP, MMG, PASS) of a territory the user may see."""

    serializer_class = StructureSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="structures_list",
        parameters=[
            OpenApiParameter(
                "territoire",
                OpenApiTypes.STR,
                description="<niveau>:<code> (ex. commune:38226, epci:200030658) ; par défaut le territoire de "
                "l'élu, le département du référent, la France pour un administrateur.",
            ),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=StructureKind.values, description="Type de structure."),
            OpenApiParameter(
                "etat",
                OpenApiTypes.STR,
                enum=["operating", "project", "closed"],
                description="En fonctionnement, en projet, fermées (par défaut : ouvertes ou en projet).",
            ),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = StructureQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        visible = Territory.objects.visible_to(self.request.user)
        if "territoire" in query:
            level, code = query["territoire"]
            territory = visible.filter(level=level, code=code).first()
        else:
            territory = default_territory(self.request.user)
            if territory is not None and not visible.filter(pk=territory.pk).exists():
                territory = None
        if territory is None:
            raise NotFound("Territoire introuvable.")
        structures = Structure.objects.in_territory(territory)
        state = query.get("etat")
        if state == "operating":
            structures = structures.filter(stage__in=OPERATING_STAGES)
        elif state == "project":
            structures = structures.filter(stage__in=[Stage.PROJECT, Stage.PREFIGURATION])
        elif state == "closed":
            structures = structures.filter(stage=Stage.CLOSED)
        else:
            structures = structures.current()
        if "kind" in query:
            structures = structures.filter(kind=query["kind"])
        return (
            structures.select_related("commune")
            .prefetch_related(
                "team", Prefetch("covered_communes", queryset=Territory.objects.only("code").order_by("code"))
            )
            .defer("perimeter_geojson")
            .by_kind_order()
        )
