"""factory_boy factories shared by the test suites (French Faker locale).

Territories get realistic code formats (région 2 digits, département 2 digits, EPCI SIREN 9 digits,
commune INSEE code = département code + 3 digits, IRIS = commune code + 4 digits), a centroid and,
by default, a small square contour stored in TerritoryGeometry (``detail`` and ``light``).
:func:`build_hierarchy` builds a whole région → département → EPCI → communes → IRIS tree.

Users: :class:`EluFactory` (of a commune, or ``EluFactory(territory=epci)``), :class:`ReferentFactory`
(of a département, all referent domains), :class:`AdminFactory`. All share :data:`DEFAULT_PASSWORD`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User
from territories.enums import GeometryUse, Level
from territories.models import Territory, TerritoryGeometry

factory.Faker._DEFAULT_LOCALE = "fr_FR"

DEFAULT_PASSWORD = "mot-de-passe-de-test-2026"

# Half-side of the square contour, in degrees, by level.
SQUARE_HALF_SIDE = {
    Level.REGION: 1.5,
    Level.DEPARTMENT: 0.6,
    Level.EPCI: 0.2,
    Level.COMMUNE: 0.03,
    Level.IRIS: 0.005,
}


def square(*, lon: float, lat: float, half_side: float) -> dict:
    """A GeoJSON Polygon: the square of ``half_side`` degrees around (lon, lat)."""
    w, e, s, n = lon - half_side, lon + half_side, lat - half_side, lat + half_side
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def add_geometry(territory: Territory) -> None:
    """Store a square contour around the territory's centroid, for both uses."""
    geojson = json.dumps(
        square(
            lon=territory.centroid_lon,
            lat=territory.centroid_lat,
            half_side=SQUARE_HALF_SIDE[Level(territory.level)],
        )
    )
    for use in GeometryUse:
        TerritoryGeometry.objects.update_or_create(territory=territory, use=use, defaults={"geojson": geojson})
    if not territory.has_geometry:
        territory.has_geometry = True
        territory.save(update_fields=["has_geometry"])


def _near(parent_attr: str | None, default: float, spread: float, axis: int):
    """A coordinate close to the parent's centroid (a 7×7 grid walked by the sequence number)."""

    def compute(obj, n):
        parent = getattr(obj, parent_attr) if parent_attr else None
        base = getattr(parent, "centroid_lat" if axis == 0 else "centroid_lon", None) if parent else None
        base = default if base is None else base
        step = (n % 7) - 3 if axis == 0 else ((n // 7) % 7) - 3
        return round(base + step * spread, 6)

    return factory.LazyAttributeSequence(compute)


class GeometryMixin(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @factory.post_generation
    def with_geometry(obj, create, extracted, **kwargs):
        """``with_geometry=False`` leaves the territory without contour."""
        if create and extracted is not False:
            add_geometry(obj)


class TerritoryFactory(GeometryMixin):
    class Meta:
        model = Territory

    level = Level.COMMUNE
    code = factory.Sequence(lambda n: f"99{n % 1000:03d}")
    name = factory.Faker("city")
    population = factory.Faker("random_int", min=100, max=20000)
    zone = "metro"
    centroid_lat = 45.3
    centroid_lon = 5.6


class RegionFactory(TerritoryFactory):
    level = Level.REGION
    code = factory.Sequence(lambda n: f"{10 + n % 90:02d}")
    name = factory.Sequence(lambda n: f"Région {n}")
    population = factory.Faker("random_int", min=1_000_000, max=8_000_000)
    centroid_lat = _near(None, 46.5, 1.0, 0)
    centroid_lon = _near(None, 2.5, 1.0, 1)


class DepartmentFactory(TerritoryFactory):
    level = Level.DEPARTMENT
    code = factory.Sequence(lambda n: f"{1 + n % 95:02d}")
    name = factory.Sequence(lambda n: f"Département {n}")
    population = factory.Faker("random_int", min=100_000, max=2_000_000)
    region = factory.SubFactory(RegionFactory)
    centroid_lat = _near("region", 46.5, 1.2, 0)
    centroid_lon = _near("region", 2.5, 1.2, 1)


class EpciFactory(TerritoryFactory):
    level = Level.EPCI
    code = factory.Sequence(lambda n: f"2{n % 100_000_000:08d}")
    siren = factory.SelfAttribute("code")
    kind = "CC"
    name = factory.Sequence(lambda n: f"CC du Pays {n}")
    population = factory.Faker("random_int", min=5_000, max=100_000)
    department = factory.SubFactory(DepartmentFactory)
    region = factory.SelfAttribute("department.region")
    centroid_lat = _near("department", 46.5, 0.4, 0)
    centroid_lon = _near("department", 2.5, 0.4, 1)


class CommuneFactory(TerritoryFactory):
    """A commune of an EPCI; ``CommuneFactory(epci=None, department=d)`` for one outside any EPCI."""

    level = Level.COMMUNE
    epci = factory.SubFactory(EpciFactory)
    department = factory.LazyAttribute(lambda o: o.epci.department if o.epci else DepartmentFactory())
    region = factory.SelfAttribute("department.region")
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.department.code}{n % 1000:03d}")
    postal_codes = factory.LazyAttributeSequence(lambda o, n: f"{o.department.code}{(n * 10) % 1000:03d}")
    centroid_lat = _near("epci", 46.5, 0.06, 0)
    centroid_lon = _near("epci", 2.5, 0.06, 1)


class IrisFactory(TerritoryFactory):
    level = Level.IRIS
    commune = factory.SubFactory(CommuneFactory)
    epci = factory.SelfAttribute("commune.epci")
    department = factory.SelfAttribute("commune.department")
    region = factory.SelfAttribute("commune.region")
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.commune.code}{n % 10000:04d}")
    name = factory.Sequence(lambda n: f"IRIS {n}")
    kind = "H"
    is_synthetic = True
    population = factory.Faker("random_int", min=1000, max=3000)
    centroid_lat = _near("commune", 46.5, 0.01, 0)
    centroid_lon = _near("commune", 2.5, 0.01, 1)


@dataclass
class Hierarchy:
    region: Territory
    department: Territory
    epci: Territory
    communes: list[Territory] = field(default_factory=list)
    iris: list[Territory] = field(default_factory=list)


def build_hierarchy(
    *, communes: int = 3, iris_per_commune: int = 0, region=None, department=None, with_geometry: bool = True
) -> Hierarchy:
    """A région → département → EPCI → ``communes`` communes → IRIS tree (reusing a given région/département)."""
    region = region or (department.region if department else RegionFactory(with_geometry=with_geometry))
    department = department or DepartmentFactory(region=region, with_geometry=with_geometry)
    epci = EpciFactory(department=department, region=region, with_geometry=with_geometry)
    tree = Hierarchy(region=region, department=department, epci=epci)
    for _ in range(communes):
        commune = CommuneFactory(epci=epci, with_geometry=with_geometry)
        tree.communes.append(commune)
        tree.iris += IrisFactory.create_batch(iris_per_commune, commune=commune, with_geometry=with_geometry)
    return tree


@functools.cache
def _default_password_hash() -> str:
    # Hashing is deliberately slow: hash once per test session, not once per user.
    return make_password(DEFAULT_PASSWORD)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"utilisateur{n}@exemple.fr")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(_default_password_hash)
    role = Role.ELU
    is_active = True


class EluFactory(UserFactory):
    """An élu of a commune by default; pass ``territory=<EPCI>`` for an élu of an intercommunality."""

    email = factory.Sequence(lambda n: f"elu{n}@mairie.exemple.fr")
    role = Role.ELU
    territory = factory.SubFactory(CommuneFactory)
    function = "maire"


class ReferentFactory(UserFactory):
    email = factory.Sequence(lambda n: f"referent{n}@assurance-maladie.exemple.fr")
    role = Role.REFERENT
    department = factory.SubFactory(DepartmentFactory)
    referent_domains = factory.LazyFunction(lambda: list(ReferentDomain.values))
    function = "référent élus CPAM"


class AdminFactory(UserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@exemple.fr")
    role = Role.ADMIN
    is_staff = True
    is_superuser = True
