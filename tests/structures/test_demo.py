"""Demonstration structures: a pure, seeded plan (determinism, plausibility) and its idempotent database load."""

import io
import math
import time

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from structures.enums import Stage, StructureKind
from structures.models import CoveredCommune, Structure, TeamCount
from structures.services import demo
from territories.enums import Profession
from territories.models import DataSource
from tests.factories import DepartmentFactory, build_hierarchy

from .factories import StructureFactory


def synthetic_communes(departments: int = 6, epcis_per_department: int = 10, seed: int = 1) -> tuple:
    """A national-like table: log-normal populations, a city per département, EPCI of neighbouring communes."""
    rng = np.random.default_rng(seed)
    rows, epcis = [], {}
    for d in range(departments):
        dept = f"{10 + d:02d}"
        for e in range(epcis_per_department):
            siren = f"2{d:02d}{e:06d}"
            epcis[siren] = (f"CC du Pays {d}-{e}", dept)
            size = int(rng.integers(5, 40))
            lat0, lon0 = 44 + d * 0.8 + (e % 4) * 0.2, 1 + (e // 4) * 0.3
            for c in range(size):
                population = int(rng.lognormal(6.3, 1.2))
                if e == 0 and c == 0:
                    population = int(rng.integers(60_000, 400_000))  # the département's city
                code = f"{dept}{e * 40 + c:03d}"
                rows.append(
                    {
                        "code": code,
                        "name": f"Commune {code}",
                        "population": population,
                        "department": dept,
                        "epci": siren,
                        "latitude": lat0 + rng.normal(0, 0.05),
                        "longitude": lon0 + rng.normal(0, 0.05),
                        "area_km2": float(rng.uniform(5, 40)),
                        "postal_code": f"{dept}{c:03d}",
                    }
                )
    return pd.DataFrame(rows), epcis


@pytest.fixture(scope="module")
def national():
    communes, epcis = synthetic_communes()
    return communes, epcis, demo.plan_structures(communes, epcis=epcis, seed=42)


def test_plan_is_deterministic_and_does_not_depend_on_row_order(national):
    communes, epcis, plan = national
    shuffled = communes.sample(frac=1, random_state=3)
    assert demo.plan_structures(shuffled, epcis=epcis, seed=42).structures == plan.structures
    other = demo.plan_structures(communes, epcis=epcis, seed=43).structures
    assert other != plan.structures


def test_a_communes_point_structures_do_not_depend_on_the_other_communes(national):
    communes, epcis, plan = national
    city = communes.sort_values("population").iloc[-1]
    alone = demo.plan_structures(communes[communes["code"] == city["code"]], seed=42, kinds=["msp", "cds", "pass"])
    expected = [s for s in plan.structures if s.commune == city["code"] and s.kind in ("msp", "cds", "pass")]
    assert alone.structures == expected and expected


def test_plan_is_plausible(national):
    communes, epcis, plan = national
    population = dict(zip(communes["code"], communes["population"], strict=True))
    total = communes["population"].sum()
    counts = plan.counts()
    # Point structures scale with the national targets (weights calibrated on all of France).
    weights = demo.kind_weights(communes["population"].to_numpy(float))
    for kind, target in demo.TARGETS.items():
        expected = weights[kind].sum() * target / demo.NATIONAL_WEIGHT_SUMS[kind]
        assert abs(counts[kind] - expected) <= 3 * math.sqrt(expected) + 2, (kind, counts[kind], expected)
    msp = [s for s in plan.structures if s.kind == StructureKind.MSP]
    assert msp and all(dict((p, n) for p, n, _ in s.team).get(Profession.GP, 0) >= 2 for s in msp)
    assert all(sum(n for p, n, _ in s.team if p != Profession.GP) >= 1 for s in msp)
    assert all(fte <= n for s in plan.structures for _, n, fte in s.team)
    share_small = sum(population[s.commune] < 2_000 for s in msp) / len(msp)
    assert share_small < 0.3  # mostly in communes of 2,000 inhabitants or more
    stages = [s.stage for s in msp]
    assert 0.7 < stages.count(Stage.OPEN) / len(stages) < 0.95
    assert all(s.france_sante_on for s in plan.structures if s.france_sante)
    assert any(s.france_sante for s in plan.structures)

    cpts = [s for s in plan.structures if s.kind == StructureKind.CPTS]
    covered = sum(s.population_covered for s in cpts)
    assert 0.6 * total < covered <= 2 / 3 * total + 1
    whole_groups = [s for s in cpts if len(s.covered) > 1]
    assert whole_groups and all(20_000 <= s.population_covered <= 150_000 for s in whole_groups)
    assert all(s.population_covered <= 150_000 for s in cpts)
    # A CPTS covers communes of one département; a commune is covered at most once (big cities: by sectors).
    departments = dict(zip(communes["code"], communes["department"], strict=True))
    assert all(len({departments[c] for c in s.covered}) == 1 for s in cpts)
    seen = [c for s in cpts for c in s.covered if population[c] <= 150_000]
    assert len(seen) == len(set(seen))
    assert len({(s.kind, s.commune, s.name) for s in plan.structures}) == len(plan.structures)
    assert all(
        s.latitude is not None and abs(s.latitude - communes.set_index("code").loc[s.commune, "latitude"]) < 0.2
        for s in plan.structures
    )


def test_small_epci_are_merged_with_their_neighbours_and_big_ones_split():
    communes, epcis = synthetic_communes(departments=2, epcis_per_department=8, seed=5)
    units = demo.cpts_territories(communes.sort_values("code").reset_index(drop=True), epcis)
    epci_population = communes.groupby("epci")["population"].sum()
    small = epci_population[epci_population < 20_000].index
    assert len(small)
    for unit in units:
        assert unit.population <= 150_000
    merged = [u for u in units if "+" in u.key]
    assert merged and all(u.population >= 20_000 for u in merged)
    assert all(u.name.startswith("CPTS du pays d") for u in merged)


def test_french_names():
    assert demo.of("Mens") == "de Mens"
    assert demo.of("Aubigny-sur-Nère") == "d'Aubigny-sur-Nère"
    assert demo.of("Le Mans") == "du Mans"
    assert demo.of("Les Abrets") == "des Abrets"
    assert demo.of("La Mure") == "de La Mure"


# --- database ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    department = DepartmentFactory(code="38")
    trees = [build_hierarchy(department=department, communes=4) for _ in range(3)]
    populations = [180_000, 40_000, 9_000, 6_000, 3_000, 2_500, 12_000, 800, 15_000, 4_000, 700, 300]
    communes = [c for t in trees for c in t.communes]
    for commune, population in zip(communes, populations, strict=True):
        commune.population = population
        commune.area_km2 = 20.0
        commune.save()
    for tree in trees:
        tree.epci.population = sum(c.population for c in tree.communes)
        tree.epci.save()
    return trees


def test_generation_is_idempotent_and_logged(world):
    first = demo.generate_demo_structures(seed=42)
    counts = {k: Structure.objects.filter(kind=k).count() for k in StructureKind.values}
    assert counts["cpts"] >= 1 and counts["msp"] + counts["cds"] >= 1
    assert first.is_demo and first.name == "Structures — données de démonstration"
    assert first.row_counts["structures"] == Structure.objects.count()
    assert first.checksum == demo.stored_checksum()
    assert not Structure.objects.filter(is_demo=False).exists()
    assert not Structure.objects.exclude(source=first).exists()

    second = demo.generate_demo_structures(seed=42)
    assert second.checksum == first.checksum == demo.stored_checksum()
    assert {k: Structure.objects.filter(kind=k).count() for k in StructureKind.values} == counts
    assert DataSource.objects.filter(name=demo.DEMO_SOURCE_NAME).count() == 2  # a log row per load
    other = demo.generate_demo_structures(seed=7)
    assert other.checksum != first.checksum


def test_perimeters_are_dissolved_at_generation(world):
    demo.generate_demo_structures(seed=42)
    import json

    import shapely

    for cpts in Structure.objects.filter(kind=StructureKind.CPTS).prefetch_related("covered_communes"):
        covered = list(cpts.covered_communes.all())
        assert covered and cpts.population_covered
        geometry = shapely.from_geojson(cpts.perimeter_geojson)
        assert geometry.is_valid and not geometry.is_empty
        for commune in covered:  # each covered commune's centroid is inside the dissolved perimeter
            assert geometry.buffer(1e-3).contains(shapely.Point(commune.centroid_lon, commune.centroid_lat))
        assert json.loads(cpts.perimeter_geojson)["type"] in ("Polygon", "MultiPolygon")


def test_real_rows_are_kept_and_their_kinds_not_generated(world):
    real = StructureFactory(kind=StructureKind.CDS, commune=world[0].communes[0], name="Centre de santé réel")
    demo.generate_demo_structures(seed=42)
    assert Structure.objects.get(pk=real.pk).name == "Centre de santé réel"
    assert list(Structure.objects.filter(kind=StructureKind.CDS)) == [real]
    assert Structure.objects.filter(is_demo=True).exists()
    demo.generate_demo_structures(seed=42)
    assert Structure.objects.filter(pk=real.pk).exists()


def test_command_if_empty(world):
    out = io.StringIO()
    call_command("generate_demo_structures", "--if-empty", stdout=out)
    assert "structures" in out.getvalue() and "CPTS couvrant" in out.getvalue()
    total = Structure.objects.count()
    teams, coverage = TeamCount.objects.count(), CoveredCommune.objects.count()
    started = time.perf_counter()
    out = io.StringIO()
    call_command("generate_demo_structures", "--if-empty", stdout=out)
    assert "déjà en base" in out.getvalue() and time.perf_counter() - started < 1
    assert (Structure.objects.count(), TeamCount.objects.count(), CoveredCommune.objects.count()) == (
        total,
        teams,
        coverage,
    )
    call_command("generate_demo_structures", "--if-empty", "--seed", "8", stdout=io.StringIO())
    assert DataSource.objects.filter(name=demo.DEMO_SOURCE_NAME).count() == 2
