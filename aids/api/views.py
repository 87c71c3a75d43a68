"""Read-only API of the aid catalogue and of the eligibility engine.

``GET /api/aides/?date=YYYY-MM-DD``: the active aids with their terms in force on the date (today by default).
``GET /api/aides/eligibilite/?commune=<INSEE>&profession=<gp|nurse|…|ipa|structure…>[&career_stage=…][&date=…]``
and the profile (``study_year``, ``fte``, ``years``, ``equipment_cost``, ``half_days_per_month``, ``home_commune``,
``age``, ``full_rate_pension``, ``replacement``: :mod:`aids.services.profile`): eligible aids with their computed
amount, near misses with their reasons, the total of the aids that combine, for a commune the user may see (404
otherwise, never 403). Bad parameters: 400 with a French message per parameter, never a 500.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from territories.enums import Level
from territories.models import Territory

from ..enums import Beneficiary, CareerStage
from ..services.eligibility import active_aids, check_eligibility
from ..services.profile import PARAMETERS, read_profile
from .serializers import (
    CatalogueQuerySerializer,
    CatalogueSerializer,
    EligibilityQuerySerializer,
    EligibilitySerializer,
)

PROFILE_TYPES = {
    "study_year": OpenApiTypes.INT,
    "fte": OpenApiTypes.NUMBER,
    "years": OpenApiTypes.INT,
    "equipment_cost": OpenApiTypes.NUMBER,
    "half_days_per_month": OpenApiTypes.INT,
    "home_commune": OpenApiTypes.STR,
    "age": OpenApiTypes.INT,
    "full_rate_pension": OpenApiTypes.BOOL,
    "replacement": OpenApiTypes.BOOL,
}
PROFILE_ENUMS = {"fte": [0.5, 1]}
PROFILE_PARAMS = [
    OpenApiParameter(name, PROFILE_TYPES[name], description=description, enum=PROFILE_ENUMS.get(name))
    for name, description in PARAMETERS.items()
]
DATE_PARAM = OpenApiParameter(
    "date", OpenApiTypes.DATE, description="Date des conditions (AAAA-MM-JJ ; par défaut : aujourd'hui)."
)


class AidCatalogueView(APIView):
    """The aid catalogue with the terms in force on a date."""

    @extend_schema(operation_id="aids_list", parameters=[DATE_PARAM], responses=CatalogueSerializer)
    def get(self, request: Request) -> Response:
        params = CatalogueQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        on = params.validated_data.get("date") or timezone.localdate()
        return Response(CatalogueSerializer({"date": on, "aids": active_aids(on=on)}).data)


class AidEligibilityView(APIView):
    """The aids a profession may mobilise in a commune on a date, with why and why not."""

    @extend_schema(
        operation_id="aids_eligibility",
        parameters=[
            OpenApiParameter("commune", OpenApiTypes.STR, required=True, description="Code INSEE de la commune."),
            OpenApiParameter(
                "profession",
                OpenApiTypes.STR,
                required=True,
                enum=Beneficiary.values,
                description="Profession ou bénéficiaire (gp, nurse, …, medical_student, ipa, structure…).",
            ),
            OpenApiParameter(
                "career_stage", OpenApiTypes.STR, enum=CareerStage.values, description="Étape de carrière."
            ),
            DATE_PARAM,
            *PROFILE_PARAMS,
        ],
        responses=EligibilitySerializer,
    )
    def get(self, request: Request) -> Response:
        params = EligibilityQuerySerializer(data=request.query_params)
        valid = params.is_valid()
        visible = Territory.objects.visible_to(request.user)
        try:
            # The home commune may lie outside the user's territory (a neighbour consulting here): its zoning is
            # public, nothing private is read from it.
            profile = read_profile(request.query_params, communes=Territory.objects.filter(level=Level.COMMUNE))
        except DjangoValidationError as error:
            raise ValidationError({**(params.errors if not valid else {}), **error.message_dict}) from None
        if not valid:
            raise ValidationError(params.errors)
        query = params.validated_data
        commune = (
            visible.filter(level=Level.COMMUNE, code=query["commune"].upper())
            .select_related("department", "region", "epci")
            .first()
        )
        if commune is None:
            raise NotFound("Commune introuvable.")
        result = check_eligibility(
            commune=commune,
            beneficiary=query["profession"],
            career_stage=query.get("career_stage"),
            on=query.get("date") or timezone.localdate(),
            profile=profile,
        )
        return Response(EligibilitySerializer(result).data)
