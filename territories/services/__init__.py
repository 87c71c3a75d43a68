"""Import and compute services of the territories app (reference geography, IRIS)."""

from .errors import ReferenceDataError
from .iris import import_iris
from .reference import load_reference

__all__ = ["ReferenceDataError", "import_iris", "load_reference"]
