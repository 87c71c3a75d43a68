import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AdminFactory,
    CommuneFactory,
    DepartmentFactory,
    EluFactory,
    ReferentFactory,
    build_hierarchy,
)

pytestmark = pytest.mark.django_db


def page(client, territory):
    return client.get(reverse("portal:territory", args=[territory.level, territory.code]))


def test_commune_page_shows_facts_parents_and_map(client):
    tree = build_hierarchy(communes=1)
    commune = tree.communes[0]
    commune.name, commune.population, commune.postal_codes = "Mens", 1415, "38710"
    commune.save()
    client.force_login(EluFactory(territory=commune))
    response = page(client, commune)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Mens</h1>" in html
    assert "1\xa0415" in html  # French thousands separator (no-break space)
    assert "38710" in html
    assert "Mon territoire" in html
    for parent in (tree.epci, tree.department, tree.region):
        assert f'href="{reverse("portal:territory", args=[parent.level, parent.code])}"' in html
    map_url = reverse("portal:territory_map", args=["commune", commune.code])
    assert f'<iframe class="portal-map-frame" src="{map_url}"' in html
    assert 'title="Carte du contour : Mens"' in html
    assert 'class="fr-breadcrumb"' in html


def test_epci_page_lists_its_communes(client):
    tree = build_hierarchy(communes=3)
    client.force_login(EluFactory(territory=tree.epci))
    response = page(client, tree.epci)
    assert response.status_code == 200
    assert list(response.context["overview"].children) == sorted(
        tree.communes, key=lambda c: (-c.population, c.name, c.code)
    )
    html = response.content.decode()
    assert "Communes (3)" in html
    for commune in tree.communes:
        assert reverse("portal:territory", args=["commune", commune.code]) in html


def test_department_page_counts_communes_and_lists_epcis(client):
    department = DepartmentFactory()
    big = build_hierarchy(department=department, communes=3)
    small = build_hierarchy(department=department, communes=1)
    CommuneFactory(epci=None, department=department)  # a commune outside any EPCI (islands)
    client.force_login(ReferentFactory(department=department))
    response = page(client, department)
    overview = response.context["overview"]
    assert overview.commune_count == 5
    assert {e.pk: e.communes_here for e in overview.children} == {big.epci.pk: 3, small.epci.pk: 1}
    assert "Intercommunalités (EPCI) (2)" in response.content.decode()


def test_territory_without_contour_shows_a_notice_and_no_map(client):
    commune = CommuneFactory(with_geometry=False)
    client.force_login(AdminFactory())
    html = page(client, commune).content.decode()
    assert "<iframe" not in html
    assert "contour de ce territoire n'est pas disponible" in html
    assert client.get(reverse("portal:territory_map", args=["commune", commune.code])).status_code == 404


# The territory page grows (dashboard, signals...): each feature may add a constant number of queries,
# never one per commune. Budget = a ceiling to notice a sudden jump; the exact count must not depend on size.
PAGE_QUERY_BUDGET = 25  # + 2 for the installation aids panel (aids in force, zone counts)
# + 2 for the prevention panel (access points by kind, current actions by theme)
# + 1 for the panels' cache version (data version); a warm page replaces the 6 panel queries by it
# + 6 for the élus' levers (partners, CLS, offers, extended team 2, training), not cached: offers change daily


def count_page_queries(client, territory) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert page(client, territory).status_code == 200
    return len(queries)


@pytest.mark.parametrize("make_user", ["elu_epci", "elu_commune", "referent", "admin"])
def test_epci_page_runs_the_same_queries_for_1_or_40_communes(client, django_assert_num_queries, make_user):
    department = DepartmentFactory()
    small = build_hierarchy(department=department, communes=1)
    large = build_hierarchy(department=department, communes=40, iris_per_commune=0)

    def login(tree):
        user = {
            "elu_epci": lambda: EluFactory(territory=tree.epci),
            "elu_commune": lambda: EluFactory(territory=tree.communes[0]),
            "referent": lambda: ReferentFactory(department=department),
            "admin": AdminFactory,
        }[make_user]()
        client.force_login(user)

    login(small)
    expected = count_page_queries(client, small.epci)
    assert expected <= PAGE_QUERY_BUDGET
    login(large)
    with django_assert_num_queries(expected):
        response = page(client, large.epci)
    assert len(response.context["overview"].children) == 40


def test_department_page_query_count_does_not_depend_on_size(client, django_assert_num_queries):
    small_department, large_department = DepartmentFactory(), DepartmentFactory()
    build_hierarchy(department=small_department, communes=1)
    for _ in range(4):
        build_hierarchy(department=large_department, communes=10)
    client.force_login(AdminFactory())
    expected = count_page_queries(client, small_department)
    assert expected <= PAGE_QUERY_BUDGET
    with django_assert_num_queries(expected):
        response = page(client, large_department)
    assert response.context["overview"].commune_count == 40


def test_territory_page_core_queries(django_assert_num_queries):
    """The page's own part, without dashboard and signals: élu's territory, territory with its parents,
    parents' visibility, communes with their visibility."""
    from portal.territory import selectors

    tree = build_hierarchy(communes=5)
    user = EluFactory(territory=tree.epci)
    user = type(user).objects.get(pk=user.pk)  # fresh: scope not loaded yet
    with django_assert_num_queries(4):
        territory = selectors.get_visible_territory(user=user, level="epci", code=tree.epci.code)
        overview = selectors.territory_overview(user=user, territory=territory)
        assert len(overview.children) == 5 and len(overview.parents) == 2


def test_search_by_accentless_name_insee_code_and_postal_code(client):
    tree = build_hierarchy(communes=1)
    commune = tree.communes[0]
    commune.name, commune.postal_codes = "Saint-Étienne-de-Crossey", "38960"
    commune.save()
    client.force_login(AdminFactory())
    for query in ("saint etienne de crossey", "ÉTIENNE-DE", commune.code, "38960"):
        response = client.get(reverse("portal:search"), {"q": query})
        assert [t.pk for t in response.context["results"]] == [commune.pk], query
    html = response.content.decode()
    assert f"{tree.department.name} ({tree.department.code})" in html
    assert tree.region.name in html


def test_search_query_count_is_constant(client, django_assert_num_queries):
    department = DepartmentFactory()
    for i in range(30):
        CommuneFactory(epci=None, department=department, name=f"Villeneuve {i}")
    client.force_login(EluFactory())
    # session, user, élu's territory, results (with visibility, département and région)
    with django_assert_num_queries(4):
        response = client.get(reverse("portal:search"), {"q": "villeneuve"})
    assert len(response.context["results"]) == 30


def test_search_without_match_and_empty_query(client):
    client.force_login(AdminFactory())
    response = client.get(reverse("portal:search"), {"q": "zzzz"})
    assert response.context["results"] == []
    assert "Aucun territoire ne correspond" in response.content.decode()
    response = client.get(reverse("portal:search"))
    assert response.status_code == 200
    assert "résultat" not in response.content.decode()


def test_search_shows_total_beyond_the_limit(client):
    from portal.territory.selectors import SEARCH_LIMIT

    department = DepartmentFactory()
    CommuneFactory.create_batch(SEARCH_LIMIT + 2, epci=None, department=department, name="Bois")
    client.force_login(AdminFactory())
    response = client.get(reverse("portal:search"), {"q": "bois"})
    assert len(response.context["results"]) == SEARCH_LIMIT
    assert response.context["total"] == SEARCH_LIMIT + 2
    assert f"{SEARCH_LIMIT + 2} résultats" in response.content.decode()


def test_panels_are_cached_until_the_data_or_an_admin_edit_changes_them(client, django_assert_num_queries):
    from aids.models import AidTerms
    from aids.services.catalogue import load_catalogue
    from territories.models import DataSource

    tree = build_hierarchy(communes=3)
    load_catalogue()
    client.force_login(AdminFactory())
    cold = count_page_queries(client, tree.epci)
    warm = count_page_queries(client, tree.epci)
    assert warm == cold - 5  # the 6 panel queries replaced by the data version (1 query)
    panel = page(client, tree.epci).context["aids_summary"]
    assert panel.groups  # the catalogue is shown

    # An administrator edits an amount: the next page is computed again and shows it.
    terms = AidTerms.objects.in_force(on=panel.on).get(aid__slug="am-primo-installation-zip")
    terms.amount = 12345
    terms.save()
    assert count_page_queries(client, tree.epci) == cold
    line = next(
        line
        for group in page(client, tree.epci).context["aids_summary"].groups
        for line in group.aids
        if line.aid.slug == "am-primo-installation-zip"
    )
    assert line.terms.amount == 12345

    # A data load (a new DataSource row) too.
    DataSource.objects.create(name="test", version="2")
    assert count_page_queries(client, tree.epci) == cold
