import pytest

from territories.enums import Level
from territories.models import Indicator, IndicatorValue
from territories.services.indicators import sync_indicator_catalogue
from tests.factories import CommuneFactory, DepartmentFactory, EpciFactory, RegionFactory

YEAR = 2025
# Communes placed along a parallel near Grenoble (45.2° N): 0.01° of longitude ≈ 0.78 km.
LAYOUT = [
    # name, EPCI, longitude, population, GPs, GPs aged 60+
    ("Pôle", "e1", 5.70, 20_000, 18, 12),
    ("Voisine", "e1", 5.76, 3_000, 1, 1),
    ("Hameau", "e1", 5.90, 400, 0, 0),
    ("Bourg", "e2", 6.10, 2_500, 2, 0),
    ("Lointaine", "e2", 7.50, 600, 0, 0),
]


class World:
    def __init__(self):
        self.region = RegionFactory(code="84", name="Auvergne-Rhône-Alpes")
        self.department = DepartmentFactory(region=self.region, code="38", name="Isère")
        self.other_department = DepartmentFactory(region=self.region, code="73", name="Savoie")
        self.e1 = EpciFactory(department=self.department, name="CC du Pôle")
        self.e2 = EpciFactory(department=self.department, name="CC du Bourg")
        self.communes = {}
        for i, (name, epci, lon, population, _gps, _old) in enumerate(LAYOUT):
            self.communes[name] = CommuneFactory(
                epci=getattr(self, epci),
                code=f"38{i + 1:03d}",
                name=name,
                population=population,
                centroid_lat=45.2,
                centroid_lon=lon,
            )
        self.savoie = CommuneFactory(
            epci=None,
            department=self.other_department,
            code="73001",
            name="Savoyarde",
            population=900,
            centroid_lat=45.2,
            centroid_lon=5.95,
        )
        self.nowhere = CommuneFactory(
            epci=None,
            department=self.department,
            code="38999",
            name="Sans centre",
            population=100,
            centroid_lat=None,
            centroid_lon=None,
            with_geometry=False,
        )
        self.indicators = sync_indicator_catalogue()
        for name, _epci, _lon, _population, gps, old in LAYOUT:
            self.set_supply(self.communes[name], gps, old)

    def set_supply(self, commune, gps: int, aged_60_plus: int, year: int = YEAR, is_demo: bool = True):
        for code, numerator, denominator in (
            ("gp_count", gps, None),
            ("gp_60_plus_share", aged_60_plus, gps or None),
        ):
            if denominator is None and code != "gp_count":
                continue
            IndicatorValue.objects.update_or_create(
                territory=commune,
                indicator=self.indicators[code],
                year=year,
                defaults={
                    "numerator": numerator,
                    "denominator": denominator,
                    "value": numerator if denominator is None else numerator / denominator * 100,
                    "is_demo": is_demo,
                },
            )


@pytest.fixture
def world(db):
    return World()


def stored(code: str, territory, year: int = YEAR) -> float | None:
    row = IndicatorValue.objects.filter(indicator__code=code, territory=territory, year=year).first()
    return None if row is None else row.value


__all__ = ["Indicator", "Level", "World", "stored"]


@pytest.fixture(autouse=True, scope="module")
def _neutral_factory_sequences():
    """Leave the factories' sequences and random state as this module found them: tests run after these ones
    (aids, …) build territories with fixed codes a shifted sequence could collide with, and check pages for
    patterns a shifted random name could contain."""
    import factory
    import factory.random

    from tests import factories

    classes = [c for c in vars(factories).values() if isinstance(c, type) and issubclass(c, factory.Factory)]
    saved = {c: c._meta._counter.seq if c._meta._counter else None for c in classes}
    random_state = factory.random.get_random_state()  # Faker's values too (names, e-mails…)
    yield
    factory.random.set_random_state(random_state)
    # Counters created during the module start afresh (0), then the ones that existed get their value back
    # (subclasses share their parent's counter object).
    for cls, seq in sorted(saved.items(), key=lambda item: item[1] is not None):
        if cls._meta._counter is not None:
            cls._meta._counter.seq = 0 if seq is None else seq
