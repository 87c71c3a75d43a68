"""The OpenAPI schema (drf-spectacular) with the error answers of every operation documented: the API is fuzzed
from this schema (tests/portal/test_api_fuzz.py), so every status code it may answer must be in it.

Separate from portal/api/base.py: drf-spectacular imports DRF's generic views, which import the pagination class.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "Message d'erreur, en français."}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Messages d'erreur en français : « detail », ou la liste des messages de chaque paramètre invalide.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "minProperties": 1,
}
PAGINATION_PARAMETERS = {"limit", "offset"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus what DRF does with query parameters and errors:

    - an optional query parameter sent empty (``?date=``) counts as absent (DRF reads a query string like an HTML
      form): ``allowEmptyValue``;
    - the error answers: 403 (not signed in) always, 400 (bad parameter, French message) when the operation takes
      parameters, 404 (unknown or invisible territory, never 403) when it takes more than pagination ones.
    """

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def _error_response(self, name: str, schema: dict, description: str) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return {"description": description, "content": {"application/json": {"schema": component.ref}}}

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        names = {parameter["name"] for parameter in self._get_parameters()}
        has_body = self.method in ("POST", "PUT", "PATCH")  # a body is validated (400) and names objects (404)
        errors = {"403": ("Error", ERROR_SCHEMA, "Non connecté.")}
        if names or has_body:
            errors["400"] = ("ValidationError", VALIDATION_ERROR_SCHEMA, "Paramètre invalide (message en français).")
        if names - PAGINATION_PARAMETERS or has_body:
            errors["404"] = ("Error", ERROR_SCHEMA, "Territoire ou objet introuvable (ou non visible).")
        for code, (name, schema, description) in errors.items():
            responses.setdefault(code, self._error_response(name, schema, description))
        return dict(sorted(responses.items()))
