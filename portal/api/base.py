"""API glue: the exception handler turns every error into a JSON message (4xx, never a 500 for bad input), the
pagination validates ``limit``/``offset`` (400 with a French message, not silently ignored). The schema's
error answers: portal/api/schema.py.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):  # a value the database refuses (NUL character, out of range): the input's fault
        return Response({"detail": "Paramètre invalide."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ValueError):
        return Response({"detail": f"Paramètre invalide : {exc}"}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class Pagination(LimitOffsetPagination):
    """``limit``/``offset`` pagination whose bad values are a 400 with a French message (DRF's default silently
    ignores them: a 200 for a request the schema forbids). Bounds documented in the schema."""

    max_limit = 1000
    max_offset = 1_000_000_000

    def _bounded(self, request, name: str, minimum: int, maximum: int, default: int | None) -> int | None:
        raw = request.query_params.get(name, "").strip()
        if not raw:  # absent or empty: the default, as for the other optional query parameters
            return default
        if not (raw.isascii() and raw.isdigit()) or not (minimum <= int(raw) <= maximum):
            raise ValidationError({name: [f"« {name} » doit être un nombre entier entre {minimum} et {maximum}."]})
        return int(raw)

    def get_limit(self, request):
        return self._bounded(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request):
        return self._bounded(request, self.offset_query_param, 0, self.max_offset, 0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": self.max_offset},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


def not_found(request, *args, **kwargs):
    """Unknown address under /api/: a JSON 404 with a message, like the API's own 404s (not the HTML page)."""
    return JsonResponse({"detail": "Adresse d'API inconnue : voir /api/docs/."}, status=status.HTTP_404_NOT_FOUND)
