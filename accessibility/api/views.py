"""API of the computed accessibility.

``GET /api/accessibilite/communes/?territoire=<level>:<code>[&year=]``: for each commune of a territory the user
may see (otherwise 404), the computed accessibility, the DREES APL stored (demonstration or loaded) and the
five-year outlook of one year (default: the latest computed). Paginated, 3 queries whatever the page size.

``POST /api/accessibilite/scenarios/``: a scenario as a JSON body (changes validated for the user, French
messages, 400) → the before/after table of the communes affected; with ``save``, stored as a private
``Scenario`` (shared with the département's referents when ``shared``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from territories.enums import Level
from territories.models import IndicatorValue, Territory

from ..indicators import APL_COMPUTED, APL_OUTLOOK_CHANGE
from ..models import MAX_CHANGES, Scenario
from ..scenarios import ACTIONS, ZIP_THRESHOLD, read_changes, simulate

DREES_APL = "apl_gp"
TERRITORY_PATTERN = r"^[a-z]+:[0-9A-Za-z]{1,12}$"
TERRITORY_MESSAGE = "Paramètre « territoire » attendu sous la forme <niveau>:<code> (ex. epci:200040715)."


def resolve_territory(user, value: str | None) -> Territory:
    """The territory ``<level>:<code>`` among those ``user`` may see; default: the élu's territory or the
    referent's département. 404 when not visible (no existence leak)."""
    visible = Territory.objects.visible_to(user).exclude(level=Level.IRIS)
    if value:
        level, code = value.split(":", 1)
        territory = visible.filter(level=level, code=code.upper()).first()
    elif getattr(user, "is_elu", False) and user.territory_id:
        territory = visible.filter(pk=user.territory_id).first()
    elif getattr(user, "is_referent", False) and user.department_id:
        territory = visible.filter(pk=user.department_id).first()
    else:
        territory = None
    if territory is None:
        raise NotFound("Territoire introuvable.")
    return territory


class CommuneQuerySerializer(serializers.Serializer):
    territoire = serializers.RegexField(
        TERRITORY_PATTERN, required=False, error_messages={"invalid": TERRITORY_MESSAGE}
    )
    year = serializers.IntegerField(
        required=False,
        min_value=1990,
        max_value=2100,
        error_messages={
            "invalid": "L'année doit être un nombre entier (ex. : 2025).",
            "min_value": "L'année doit être comprise entre 1990 et 2100.",
            "max_value": "L'année doit être comprise entre 1990 et 2100.",
        },
    )


class CommuneAccessibilitySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code INSEE.")
    name = serializers.CharField()
    population = serializers.IntegerField()
    year = serializers.IntegerField(allow_null=True, help_text="Année de l'offre de médecins utilisée.")
    computed = serializers.FloatField(
        allow_null=True, help_text="Accessibilité calculée par le portail (consultations / an / habitant)."
    )
    drees_apl = serializers.FloatField(allow_null=True, help_text="APL de la DREES en base pour la même année.")
    difference = serializers.FloatField(allow_null=True, help_text="Calculée − APL DREES.")
    outlook_change_pct = serializers.FloatField(
        allow_null=True, help_text="Évolution à 5 ans si les médecins de 67 ans ne sont pas remplacés (%)."
    )
    is_demo = serializers.BooleanField()


class CommuneValuesView(generics.ListAPIView):
    """Computed accessibility, DREES APL and five-year outlook of each commune of a territory, for one year."""

    serializer_class = CommuneAccessibilitySerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="accessibility_communes",
        parameters=[
            OpenApiParameter(
                "territoire",
                OpenApiTypes.STR,
                description="<niveau>:<code> (ex. epci:200040715) ; par défaut le territoire de l'élu ou le "
                "département du référent.",
            ),
            OpenApiParameter("year", OpenApiTypes.INT, description="Année (par défaut : la dernière calculée)."),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = CommuneQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        territory = resolve_territory(self.request.user, query.get("territoire"))
        self.year = query.get("year") or (
            IndicatorValue.objects.filter(indicator__code=APL_COMPUTED)
            .order_by("-year")
            .values_list("year", flat=True)
            .first()
        )
        return Territory.objects.communes_of(territory).order_by("code").only("code", "name", "population")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        communes = page if page is not None else list(self.get_queryset())
        values = {}
        if self.year is not None and communes:
            rows = IndicatorValue.objects.filter(
                territory__in=[c.pk for c in communes],
                indicator__code__in=[APL_COMPUTED, DREES_APL, APL_OUTLOOK_CHANGE],
                year=self.year,
            ).values_list("territory_id", "indicator__code", "value", "is_masked", "is_demo")
            for territory_id, code, value, masked, is_demo in rows:
                values[(territory_id, code)] = (None if masked else value, is_demo)
        data = []
        for commune in communes:
            computed, demo = values.get((commune.pk, APL_COMPUTED), (None, False))
            drees, drees_demo = values.get((commune.pk, DREES_APL), (None, False))
            outlook, _ = values.get((commune.pk, APL_OUTLOOK_CHANGE), (None, False))
            data.append(
                {
                    "code": commune.code,
                    "name": commune.name,
                    "population": commune.population,
                    "year": self.year,
                    "computed": computed,
                    "drees_apl": drees,
                    "difference": None if computed is None or drees is None else computed - drees,
                    "outlook_change_pct": outlook,
                    "is_demo": demo or drees_demo,
                }
            )
        serializer = self.get_serializer(data, many=True)
        return self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)


class ChangeSchemaSerializer(serializers.Serializer):
    """One change (documentation of the body; validated by ``accessibility.scenarios.read_changes``)."""

    action = serializers.ChoiceField(
        choices=list(ACTIONS.items()),
        help_text="retirement : départ de médecins ; addition : installation (ETP) ; advanced_consultation : "
        "une journée de consultation par semaine (0,1 ETP).",
    )
    commune = serializers.CharField(required=False, help_text="Code INSEE de la commune.")
    count = serializers.IntegerField(
        required=False, min_value=1, help_text="retirement : nombre de médecins (par défaut ceux de 60 ans ou plus)."
    )
    fte = serializers.FloatField(required=False, help_text="addition : équivalents temps plein (> 0).")
    structure = serializers.IntegerField(required=False, help_text="addition : identifiant d'une structure (MSP…).")
    from_commune = serializers.CharField(required=False, help_text="advanced_consultation : commune d'origine.")


@extend_schema_field(ChangeSchemaSerializer(many=True))
class ChangesField(serializers.JSONField):
    """The list of changes as sent: every check (and its French message) is in ``read_changes``."""


class ScenarioRequestSerializer(serializers.Serializer):
    territoire = serializers.RegexField(
        TERRITORY_PATTERN,
        required=False,
        error_messages={"invalid": TERRITORY_MESSAGE},
        help_text="Territoire du scénario (son département reçoit le partage) ; par défaut celui de l'utilisateur.",
    )
    changes = ChangesField(help_text=f"De 1 à {MAX_CHANGES} changements.")
    name = serializers.CharField(required=False, max_length=200, allow_blank=True, help_text="Nom pour l'enregistrer.")
    save = serializers.BooleanField(required=False, default=False, help_text="Enregistrer le scénario (nom requis).")
    shared = serializers.BooleanField(
        required=False, default=False, help_text="Le rendre visible aux référents CPAM du département."
    )

    def validate(self, attrs):
        if attrs.get("save") and not (attrs.get("name") or "").strip():
            raise serializers.ValidationError({"name": ["Donnez un nom au scénario pour l'enregistrer."]})
        if attrs.get("shared") and not attrs.get("save"):
            raise serializers.ValidationError({"shared": ["Seul un scénario enregistré peut être partagé."]})
        return attrs


class CommuneChangeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    population = serializers.IntegerField()
    before = serializers.FloatField(help_text="Accessibilité avant (consultations / an / habitant).")
    after = serializers.FloatField(help_text="Accessibilité après.")
    change = serializers.FloatField()


class PopulationUnderSerializer(serializers.Serializer):
    before = serializers.IntegerField()
    after = serializers.IntegerField()


class AppliedChangeSerializer(serializers.Serializer):
    action = serializers.CharField()
    commune = serializers.CharField(source="commune.code")
    fte = serializers.FloatField(help_text="Variation d'ETP dans la commune.")
    label = serializers.CharField()


class ScenarioResultSerializer(serializers.Serializer):
    scenario = serializers.UUIDField(allow_null=True, help_text="Identifiant du scénario enregistré.")
    territory = serializers.CharField()
    supply_year = serializers.IntegerField(allow_null=True)
    is_demo = serializers.BooleanField()
    threshold = serializers.FloatField(help_text="Seuil de sous-densité (2,5 consultations / an / habitant).")
    population_under_threshold = PopulationUnderSerializer(
        help_text="Habitants des communes touchées sous le seuil, avant et après."
    )
    changes = AppliedChangeSerializer(many=True)
    communes = CommuneChangeSerializer(many=True, help_text="Communes dont l'accessibilité change.")


class ScenarioView(APIView):
    """« Et si… ? » : accessibilité avant / après des changements de l'offre de médecins généralistes."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="accessibility_scenario",
        request=ScenarioRequestSerializer,
        responses={200: ScenarioResultSerializer},
    )
    def post(self, request):
        body = ScenarioRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attrs = body.validated_data
        territory = resolve_territory(request.user, attrs.get("territoire"))
        department = territory if territory.level == Level.DEPARTMENT else territory.department
        if department is None:
            raise serializers.ValidationError(
                {"territoire": ["Choisissez un département, un EPCI ou une commune (pas une région)."]}
            )
        try:
            changes = read_changes(user=request.user, changes=attrs["changes"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        result = simulate(changes)
        scenario = None
        if attrs.get("save"):
            with transaction.atomic():
                scenario = Scenario.objects.create(
                    author=request.user,
                    name=attrs["name"].strip(),
                    territory=territory,
                    department=department,
                    changes=attrs["changes"],
                    is_shared=attrs.get("shared", False),
                )
        payload = {
            "scenario": scenario.pk if scenario else None,
            "territory": territory.name,
            "supply_year": result.supply_year,
            "is_demo": result.is_demo,
            "threshold": ZIP_THRESHOLD,
            "population_under_threshold": {
                "before": result.population_under_before,
                "after": result.population_under_after,
            },
            "changes": result.changes,
            "communes": [
                {
                    "code": r.code,
                    "name": r.name,
                    "population": r.population,
                    "before": r.before,
                    "after": r.after,
                    "change": r.change,
                }
                for r in result.rows
            ],
        }
        return Response(ScenarioResultSerializer(payload).data, status=status.HTTP_200_OK)
