"""The line-numbered error report shared by every importer (indicators, zoning, FINESS…).

An importer checks the whole file first, collecting French messages in an :class:`ImportErrors`, then calls
:meth:`ImportErrors.refuse_if_any` before writing anything: all or nothing, every error reported at once (the
first :data:`MAX_ERRORS` of them).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

MAX_ERRORS = 50


class ImportErrors(list):
    def add(self, line: int | None, message: str) -> None:
        self.append(f"ligne {line} : {message}" if line else message)

    def refuse_if_any(self) -> None:
        """Raise the import's refusal (a ``ValidationError`` listing the errors) if any error was found."""
        if not self:
            return
        shown = self[:MAX_ERRORS] + (
            [f"… et {len(self) - MAX_ERRORS} autres erreurs."] if len(self) > MAX_ERRORS else []
        )
        raise ValidationError([f"Import refusé, base inchangée ({len(self)} erreur(s)) :", *shown])


class CatalogueRefused(Exception):
    """A committed catalogue (aids, initiatives…) cannot be loaded: ``errors`` are French sentences, one per
    problem; nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))
