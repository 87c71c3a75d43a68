from .geo import DataSource, Territory, TerritoryGeometry, TerritoryQuerySet, coordinates_constraint, normalize_name
from .indicators import Indicator, IndicatorValue, Zoning
from .peers import TerritoryPeer
from .signals import ReportedSignal, Signal, SignalRule

__all__ = [
    "DataSource",
    "Indicator",
    "IndicatorValue",
    "Territory",
    "TerritoryGeometry",
    "TerritoryPeer",
    "TerritoryQuerySet",
    "Zoning",
    "coordinates_constraint",
    "normalize_name",
    "ReportedSignal",
    "Signal",
    "SignalRule",
]
