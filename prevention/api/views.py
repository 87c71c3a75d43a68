"""API of prevention and access to rights.

- ``GET /api/prevention/points/?territoire=<level>:<code>[&kind=<kind>]``: access-to-rights points of a territory
  the user may see (``Territory.objects.visible_to``; otherwise 404, never 403). Without ``territoire``: the élu's
  territory, the referent's département, France for an administrator. Paginated (``limit``/``offset``), 2 queries.
- ``GET /api/prevention/initiatives/[?territoire=…&axis=C&lever=C3&role=financeur]``: inspiring initiatives
  (public content, transcribed from the cited documents), those of the territory's département first when a
  visible ``territoire`` is given. Paginated.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from territories.enums import Level
from territories.models import Territory

from ..enums import AccessPointKind, Axis, CollectivityRole, Lever
from ..models import AccessPoint, Initiative
from .serializers import AccessPointSerializer, InitiativeQuerySerializer, InitiativeSerializer, PointQuerySerializer

TERRITORY_PARAMETER = OpenApiParameter(
    "territoire",
    OpenApiTypes.STR,
    description="<niveau>:<code> (ex. commune:38185, epci:200040715) ; par défaut le territoire de l'élu, le "
    "département du référent, la France pour un administrateur.",
)


def visible_territory(user, requested: tuple[str, str] | None) -> Territory:
    """The requested territory, or the user's own, if the user may see it; ``NotFound`` otherwise."""
    visible = Territory.objects.visible_to(user)
    if requested is not None:
        level, code = requested
        territory = visible.filter(level=level, code=code).first() if level in Level.values else None
    else:
        if getattr(user, "is_elu", False) and user.territory_id:
            territory = user.territory
        elif getattr(user, "is_referent", False) and user.department_id:
            territory = user.department
        else:
            territory = Territory.objects.filter(level=Level.COUNTRY).first()
        if territory is not None and not visible.filter(pk=territory.pk).exists():
            territory = None
    if territory is None:
        raise NotFound("Territoire introuvable.")
    return territory


class AccessPointListView(generics.ListAPIView):
    """Access-to-rights points (accueils CPAM, France Services, PASS, CCAS, points santé) of a visible territory."""

    serializer_class = AccessPointSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="prevention_points_list",
        parameters=[
            TERRITORY_PARAMETER,
            OpenApiParameter("kind", OpenApiTypes.STR, enum=AccessPointKind.values, description="Type de point."),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = PointQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        territory = visible_territory(self.request.user, query.get("territoire"))
        points = AccessPoint.objects.in_territory(territory)
        if "kind" in query:
            points = points.filter(kind=query["kind"])
        return points.select_related("commune").by_kind_order()


class InitiativeListView(generics.ListAPIView):
    """Inspiring initiatives of local authorities, with their sources."""

    serializer_class = InitiativeSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="prevention_initiatives_list",
        parameters=[
            TERRITORY_PARAMETER,
            OpenApiParameter("axis", OpenApiTypes.STR, enum=Axis.values, description="Axe (A à D)."),
            OpenApiParameter("lever", OpenApiTypes.STR, enum=Lever.values, description="Levier (A1 à D5)."),
            OpenApiParameter(
                "role", OpenApiTypes.STR, enum=CollectivityRole.values, description="Rôle de la collectivité."
            ),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = InitiativeQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        initiatives = Initiative.objects.select_related("commune")
        for name in ("axis", "lever", "role"):
            if name in query:
                initiatives = initiatives.filter(**{name: query[name]})
        territory = visible_territory(self.request.user, query["territoire"]) if "territoire" in query else None
        return initiatives.nearest_first(territory)
