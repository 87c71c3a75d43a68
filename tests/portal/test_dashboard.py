"""The territorial dashboard: key figures and comparisons, trends, ranking, peers, secret, access, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.territory import dashboard as dashboards
from territories.enums import Level
from territories.models import TerritoryPeer
from territories.services.peers import compute_peers
from tests.factories import (
    AdminFactory,
    CommuneFactory,
    DepartmentFactory,
    EluFactory,
    ReferentFactory,
    RegionFactory,
    build_hierarchy,
)
from tests.portal.indicator_data import fill, france, skip_geometry, value_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_geometry(monkeypatch):
    skip_geometry(monkeypatch)


@pytest.fixture
def no_signals(monkeypatch):
    """Query counts below are those of the dashboard itself (the signals provider has its own tests)."""
    monkeypatch.setattr(dashboards, "_signals_provider", lambda: None)


def whole(tree, **fill_kwargs):
    """Values for every territory of ``tree`` and France."""
    fill([france(), tree.region, tree.department, tree.epci, *tree.communes], **fill_kwargs)


def page(client, territory, **params):
    return client.get(reverse("portal:territory", args=[territory.level, territory.code]), params)


def key(dashboard, code):
    return next(row for row in dashboard.key_figures if row.indicator.code == code)


def test_key_figures_compare_commune_with_department_region_and_france(no_signals):
    tree = build_hierarchy(communes=2)
    whole(tree)
    commune = tree.communes[0]
    board = dashboards.build_dashboard(commune, user=AdminFactory())
    assert [c.label for c in board.comparators] == ["Département", "Région", "France"]
    row = key(board, "gp_density")
    assert row.year == 2025
    assert row.figure.value == value_for(commune, "gp_density", 2025)
    expected = [value_for(t, "gp_density", 2025) for t in (tree.department, tree.region, france())]
    assert [f.value for f in row.comparisons] == expected
    assert row.figure.is_demo and row.figure.display == dashboards.format_number(row.figure.value, 1)
    # Themes in catalogue order, each with its rows.
    assert [b.theme for b in board.themes] == ["population", "supply", "access"]


def test_epci_is_compared_with_the_department_of_its_seat_and_a_region_with_france(no_signals):
    tree = build_hierarchy(communes=1)
    whole(tree)
    admin = AdminFactory()
    assert [c.name for c in dashboards.build_dashboard(tree.epci, user=admin).comparators] == [
        tree.department.name,
        tree.region.name,
        "France",
    ]
    assert [c.label for c in dashboards.build_dashboard(tree.region, user=admin).comparators] == ["France"]


def test_year_parameter_picks_the_latest_year_not_after_it(no_signals):
    tree = build_hierarchy(communes=1)
    whole(tree)
    board = dashboards.build_dashboard(tree.communes[0], user=AdminFactory(), year=2023)
    assert key(board, "gp_density").year == 2023
    assert "pop_75_plus_share" not in [r.indicator.code for r in board.key_figures]  # only 2025 exists
    assert board.years == [2021, 2022, 2023, 2024, 2025]


def test_non_public_indicators_are_shown_for_the_territory_but_not_compared(client, no_signals):
    tree = build_hierarchy(communes=1)
    whole(tree)
    commune = tree.communes[0]
    board = dashboards.build_dashboard(commune, user=EluFactory(territory=commune))
    row = key(board, "ald_share")
    assert row.figure.available and row.figure.value == value_for(commune, "ald_share", 2025)
    assert all(f.restricted and f.value is None and f.display == "non communiqué" for f in row.comparisons)
    assert all(f.available for f in key(board, "pop_75_plus_share").comparisons)
    trend = next(t for t in board.trends if t.indicator.code == "patients_without_gp_share")
    assert [line.label for line in trend.lines] == [commune.name]  # no comparator line either


def test_masked_values_read_secret_statistique_and_never_show_their_counts(client, no_signals):
    tree = build_hierarchy(communes=1)
    commune = tree.communes[0]
    fill([france(), tree.region, tree.department, tree.epci, commune], masked=(commune,))
    client.force_login(EluFactory(territory=commune))
    response = page(client, commune)
    assert response.status_code == 200
    row = key(response.context["dashboard"], "patients_without_gp_share")
    assert row.figure.masked and row.figure.value is None and row.figure.display == "secret statistique"
    html = response.content.decode()
    assert "secret statistique" in html
    assert ">123<" not in html and "123,0" not in html  # the stored denominator


def test_page_shows_sources_vintages_demo_badges_and_accessible_charts(client, no_signals):
    tree = build_hierarchy(communes=2)
    whole(tree)
    client.force_login(EluFactory(territory=tree.epci))
    html = page(client, tree.epci).content.decode()
    assert "Tableau de bord du territoire" in html
    assert "données de démonstration" in html
    assert "DREES / Annuaire santé (RPPS)" in html and "2021–2025 (démonstration)" in html
    svg = re.search(r'<svg class="portal-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "2021" in svg and "<polyline" in svg
    assert 'class="fr-accordion__btn"' in html and "Voir les données" in html  # data table alternative
    assert reverse("portal:territory_export", args=["epci", tree.epci.code, "csv"]) in html


def test_trends_cover_five_years_with_comparators_for_public_ratios_only(no_signals):
    tree = build_hierarchy(communes=1)
    whole(tree)
    board = dashboards.build_dashboard(tree.communes[0], user=AdminFactory())
    trends = {t.indicator.code: t for t in board.trends}
    assert set(trends) == {"gp_density", "gp_count", "patients_without_gp_share"}
    assert trends["gp_density"].years == [2021, 2022, 2023, 2024, 2025]
    assert len(trends["gp_density"].lines) == 4  # commune, département, région, France
    assert len(trends["gp_count"].lines) == 1  # counts are not comparable across sizes
    assert trends["gp_density"].change.value == pytest.approx(2.0)


def test_epci_ranks_its_communes_on_the_chosen_indicator(client, no_signals):
    tree = build_hierarchy(communes=4)
    whole(tree)
    client.force_login(EluFactory(territory=tree.epci))
    ranking = page(client, tree.epci, classement="gp_count").context["dashboard"].ranking
    assert ranking.indicator.code == "gp_count" and ranking.year == 2025
    expected = sorted(tree.communes, key=lambda c: -value_for(c, "gp_count", 2025))
    assert [r.code for r in ranking.rows] == [c.code for c in expected]
    assert [r.rank for r in ranking.rows] == [1, 2, 3, 4]
    # Unknown code: the default indicator, not an error.
    response = page(client, tree.epci, classement="nope", annee="abc")
    assert response.status_code == 200 and response.context["dashboard"].ranking.indicator.code == "gp_density"


def test_department_ranks_all_its_communes(no_signals):
    department = DepartmentFactory()
    a, b = build_hierarchy(department=department, communes=2), build_hierarchy(department=department, communes=1)
    fill([*a.communes, *b.communes, department])
    ranking = dashboards.build_dashboard(department, user=ReferentFactory(department=department)).ranking
    assert ranking.title == "Communes" and len(ranking.rows) == 3


def test_ranking_hides_non_public_values_of_communes_the_user_may_not_see(no_signals):
    tree = build_hierarchy(communes=3)
    whole(tree)
    own = tree.communes[0]
    board = dashboards.build_dashboard(tree.epci, user=EluFactory(territory=own), ranking="ald_share")
    rows = {r.code: r for r in board.ranking.rows}
    assert rows[own.code].figure.available and rows[own.code].rank == 1
    others = [rows[c.code] for c in tree.communes[1:]]
    assert all(r.figure.restricted and r.figure.value is None and r.rank is None for r in others)
    assert board.ranking.rows[0].code == own.code  # restricted rows go last, by name (no leak by position)
    # A public indicator is ranked for everyone, with links only to the pages the user may open.
    public = dashboards.build_dashboard(tree.epci, user=EluFactory(territory=own), ranking="gp_density").ranking
    assert all(r.figure.available for r in public.rows)
    assert {r.code for r in public.rows if r.is_visible} == {own.code}


def test_peers_are_the_nearest_territories_of_the_same_level_in_population_and_density(no_signals):
    department = DepartmentFactory()
    tree = build_hierarchy(department=department, communes=1)
    commune = tree.communes[0]
    commune.population, commune.area_km2 = 1_000, 10.0
    commune.save()
    candidates = {
        "twin": (1_050, 10.0),
        "close": (1_300, 12.0),
        "denser": (1_000, 2.0),
        "bigger": (20_000, 10.0),
        "huge": (500_000, 100.0),
        "small": (700, 10.0),
        "tiny": (50, 10.0),
    }
    made = {
        name: CommuneFactory(epci=tree.epci, name=name, population=p, area_km2=a) for name, (p, a) in candidates.items()
    }
    CommuneFactory(epci=tree.epci, name="no area", population=1_000, area_km2=None)
    fill([commune, *made.values()], masked=(made["close"],))
    assert compute_peers()["commune"] == 5 * 8  # the 8 communes with an area, 5 peers each
    board = dashboards.build_dashboard(commune, user=AdminFactory())
    assert [p.territory.name for p in board.peers] == ["twin", "close", "small", "denser", "bigger"]
    assert all(i.is_public for i in board.peer_indicators)
    assert [i.code for i in board.peer_indicators] == ["gp_density", "pop_75_plus_share"]  # public, with values
    twin = board.peers[0]
    assert twin.figures[0].value == value_for(made["twin"], "gp_density", 2025)
    assert board.peers[1].figures[0].display == "secret statistique"
    assert twin.territory.density == pytest.approx(105.0)


def test_peers_are_precomputed_deterministically_and_replaced():
    tree = build_hierarchy(communes=3)
    for i, commune in enumerate(tree.communes):
        commune.population, commune.area_km2 = 1_000 * (i + 1), 10.0
        commune.save()
    compute_peers()
    first = list(TerritoryPeer.objects.values_list("territory", "peer", "rank"))
    compute_peers()
    assert list(TerritoryPeer.objects.values_list("territory", "peer", "rank")) == first
    a, b, c = tree.communes
    assert [p.peer for p in TerritoryPeer.objects.filter(territory=a)] == [b, c]


def test_peers_of_a_region_are_regions(no_signals):
    regions = [RegionFactory(population=p, area_km2=30_000.0) for p in (1_000_000, 2_000_000, 5_000_000)]
    compute_peers()
    board = dashboards.build_dashboard(regions[0], user=AdminFactory())
    assert [p.territory.pk for p in board.peers] == [regions[1].pk, regions[2].pk]


def test_iris_page_has_an_empty_dashboard(client, no_signals):
    tree = build_hierarchy(communes=1, iris_per_commune=1)
    whole(tree)
    client.force_login(AdminFactory())
    response = page(client, tree.iris[0])
    assert response.status_code == 200
    assert "Aucun indicateur n'est disponible pour ce territoire" in response.content.decode()


def test_home_of_an_elu_is_their_territory_dashboard(client, no_signals):
    tree = build_hierarchy(communes=1)
    whole(tree)
    client.force_login(EluFactory(territory=tree.epci))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert response.context["dashboard"].territory == tree.epci


@pytest.mark.parametrize("user_kind", ["elu", "referent"])
def test_dashboard_of_a_territory_out_of_scope_is_a_404(client, user_kind, no_signals):
    mine, other = build_hierarchy(communes=1), build_hierarchy(communes=1)
    whole(mine)
    fill([other.region, other.department, other.epci, *other.communes])
    user = EluFactory(territory=mine.epci) if user_kind == "elu" else ReferentFactory(department=mine.department)
    client.force_login(user)
    assert page(client, mine.communes[0]).status_code == 200
    for territory in (other.communes[0], other.epci, other.department):
        assert page(client, territory).status_code == 404


def test_signals_come_first_when_the_provider_is_installed(client, monkeypatch, settings, tmp_path):
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "_territory_panel.html").write_text(
        "<ul>{% for s in signals %}<li>SIGNAL {{ s }}</li>{% endfor %}</ul>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    monkeypatch.setattr(dashboards, "_signals_provider", lambda: lambda territory, *, user: [f"sur {territory.name}"])
    tree = build_hierarchy(communes=1)
    whole(tree)
    client.force_login(EluFactory(territory=tree.communes[0]))
    html = page(client, tree.communes[0]).content.decode()
    assert f"SIGNAL sur {tree.communes[0].name}" in html
    assert html.index("Signaux d'alerte") < html.index("Chiffres clés")


def test_no_signals_section_without_provider(client, no_signals):
    tree = build_hierarchy(communes=1)
    whole(tree)
    client.force_login(AdminFactory())
    response = page(client, tree.communes[0])
    assert response.context["dashboard"].signals is None
    assert "Signaux d'alerte" not in response.content.decode()


# Query counts: the same whatever the size of the territory.


def big_and_small():
    """A région with a small EPCI (1 commune) and a larger one (30 communes), all with values."""
    region = RegionFactory(area_km2=20_000.0)
    department = DepartmentFactory(region=region, area_km2=5_000.0)
    small = build_hierarchy(department=department, communes=1)
    large = build_hierarchy(department=department, communes=30)
    for territory in [department, small.epci, large.epci, *small.communes, *large.communes]:
        territory.area_km2 = 50.0
        territory.save()
    fill([france(), region, department, small.epci, large.epci, *small.communes, *large.communes])
    compute_peers()
    return region, department, small, large


@pytest.mark.parametrize("make_user", ["admin", "referent", "elu_epci"])
def test_build_dashboard_runs_the_same_queries_for_any_territory_size(django_assert_num_queries, make_user, no_signals):
    region, department, small, large = big_and_small()
    for tree in (small, large):
        user = {
            "admin": AdminFactory,
            "referent": lambda: ReferentFactory(department=department),
            "elu_epci": lambda t=tree: EluFactory(territory=t.epci),
        }[make_user]()
        for territory in (tree.communes[0], tree.epci):
            # catalogue, values of the territory + comparators, peers, peers' values (+ ranking for the EPCI)
            expected = 5 if territory.level == Level.EPCI else 4
            with django_assert_num_queries(expected):
                board = dashboards.build_dashboard(territory, user=user)
            assert board.peers and board.key_figures
    with django_assert_num_queries(5):  # région: ranking of its départements, peers among régions
        board = dashboards.build_dashboard(region, user=AdminFactory())
    assert [r.code for r in board.ranking.rows] == [department.code]


def test_page_query_count_is_the_same_for_a_small_and_a_large_epci(client, django_assert_num_queries, no_signals):
    _region, _department, small, large = big_and_small()
    client.force_login(AdminFactory())
    counts = []
    for tree in (small, large):
        page(client, tree.epci)  # warm-up (session)
        with CaptureQueriesContext(connection) as queries:
            response = page(client, tree.epci)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert len(response.context["dashboard"].ranking.rows) == 30


def test_compute_peers_command_if_empty_keeps_existing_rows():
    from django.core.management import call_command

    tree = build_hierarchy(communes=2)
    for commune in tree.communes:
        commune.area_km2 = 10.0
        commune.save()
    call_command("compute_peers")
    assert TerritoryPeer.objects.count() == 2
    TerritoryPeer.objects.filter(rank=1).update(distance=-1)
    call_command("compute_peers", "--if-empty")
    assert TerritoryPeer.objects.filter(distance=-1).count() == 2


def test_ranking_html_links_only_the_communes_the_user_may_open(client, no_signals):
    tree = build_hierarchy(communes=2)
    whole(tree)
    own, other = tree.communes
    client.force_login(EluFactory(territory=own))
    html = page(client, tree.epci).content.decode()
    ranking = html[html.index('id="classement"') :]
    assert f'<a href="{reverse("portal:territory", args=["commune", own.code])}">' in ranking
    assert f'<a href="{reverse("portal:territory", args=["commune", other.code])}">' not in ranking
    assert other.name in ranking
