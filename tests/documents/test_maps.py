"""Interactive maps as generated documents (``map_html``), in-process (eager Celery): the territory page's map
form → ``request_map`` → the job writes a self-contained HTML file → the document page → the download.
"""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.documents import services
from portal.documents.enums import DocumentKind, DocumentStatus
from portal.documents.models import GeneratedDocument
from portal.maps import choropleth
from territories.models import DataSource, IndicatorValue
from tests.documents.test_fiche import _ready_document

GP_LABEL = "Densité de médecins généralistes libéraux et mixtes pour 10 000 habitants"


def _request_url(territory) -> str:
    return reverse("documents:request_map", args=[territory.level, territory.code])


def _files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """POST the map form as ``user``, running the on-commit enqueue (the eager task) as a real commit would."""

    def post(user, territory, **form):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(_request_url(territory), form)

    return post


def _document_of(response) -> GeneratedDocument:
    assert response.status_code == 302, response.content.decode()[:500]
    document_id = response.url.rstrip("/").split("/")[-1]
    assert response.url == reverse("documents:detail", args=[document_id])
    return GeneratedDocument.objects.get(pk=document_id)


def test_map_document_is_generated_by_the_job_and_downloaded_as_a_standalone_file(fiche_world, ask, client, settings):
    w = fiche_world
    response = ask(w.elu_e1, w.e1, indicateur="gp_density", annee="2024", classes="jenks")
    document = _document_of(response)
    assert document.kind == DocumentKind.MAP_HTML
    assert document.status == DocumentStatus.READY, document.error
    assert document.progress == 100 and document.attempts == 1 and document.page_count is None
    assert document.territory == w.e1 and document.requested_by == w.elu_e1
    assert document.parameters == {"indicator": "gp_density", "year": 2024, "scheme": "jenks"}
    assert document.title == f"Carte : {GP_LABEL} (2024)"
    created = timezone.localtime(document.created_at)
    assert document.file_path == f"cartes/{created:%Y/%m}/{document.pk}.html"
    assert _files(settings) == [Path(settings.PRIVATE_MEDIA_ROOT) / document.file_path]  # no .part left over

    page = client.get(response.url).content.decode()
    assert "La carte est prête" in page and "Télécharger la carte (HTML" in page and w.e1.name in page
    assert "seuils naturels" in page and "Fiche territoire" not in page
    assert 'http-equiv="refresh"' not in page

    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/html; charset=utf-8"
    name = f"carte-gp_density-{w.e1.code}-{created.date().isoformat()}.html"
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    body = b"".join(download.streaming_content).decode()
    assert len(body.encode()) == document.file_size
    assert f"<title>{GP_LABEL} (2024) : {w.e1.name}</title>" in body
    # The legend control, with the year's classes by natural breaks.
    assert 'L.DomUtil.create("div", "portal-legend")' in body
    # The year's classes by natural breaks; the legend names the method (zero apart when a commune has none).
    values = list(
        IndicatorValue.objects.filter(
            indicator__code="gp_density",
            year=2024,
            territory__epci=w.e1,
            territory__level="commune",
            value__isnull=False,
        ).values_list("value", flat=True)
    )
    assert f"Classes : {choropleth.scheme_label('jenks', values)}." in body
    assert "pas de donnée (0)" in body
    # Leaflet is inlined: no script or stylesheet to fetch, no CDN, no static URL.
    assert "L.map(" in body and ".leaflet-container" in body
    assert not re.findall(r"<script\b[^>]*\bsrc=", body) and not re.findall(r"<link\b", body)
    assert not re.findall(r"https?://[^\s\"'<>]*cdn", body, re.I), "CDN URL in the file"
    assert "/static/" not in body and "nonce" not in body
    communes = {f["properties"]["code"] for f in _features(body)}
    assert communes == {w.a.code, w.a2.code}

    # The documents list shows the map as a map.
    listing = client.get(reverse("documents:list")).content.decode()
    assert "Carte (HTML)" in listing and html.escape(document.title) in listing


def _features(page: str) -> list[dict]:
    from tests.portal.test_choropleth import features

    return features(page)


def test_same_map_and_same_data_reuse_the_document_others_make_new_ones(fiche_world, ask, client):
    w = fiche_world
    first = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density", annee="2025", classes="quantiles"))
    assert first.status == DocumentStatus.READY
    # Same map (the defaults resolve to the same indicator, latest year and quantiles): served again.
    assert _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density", annee="2025", classes="quantiles")) == first
    assert _document_of(ask(w.elu_e1, w.e1)) == first
    # Another user with the same view of a public indicator gets the same file, and may download it.
    assert _document_of(ask(w.referent_d1, w.e1, indicateur="gp_density")) == first
    assert set(first.requesters.all()) == {w.elu_e1, w.referent_d1}
    assert client.get(reverse("documents:download", args=[first.pk])).status_code == 200
    assert GeneratedDocument.objects.count() == 1

    other_year = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density", annee="2023"))
    other_indicator = _document_of(ask(w.elu_e1, w.e1, indicateur="nurse_density", annee="2025"))
    other_scheme = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density", annee="2025", classes="jenks"))
    fiche = services.request_fiche(user=w.elu_e1, territory=w.e1)  # never mistaken for a map (kind in the key)
    documents = {first, other_year, other_indicator, other_scheme, fiche}
    assert len(documents) == 5
    assert other_year.parameters["year"] == 2023 and other_indicator.parameters["indicator"] == "nurse_density"

    # A new data load: a new map, made from the new data.
    DataSource.objects.create(name="indicateurs", version="rechargement")
    again = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density", annee="2025", classes="quantiles"))
    assert again not in documents and again.status == DocumentStatus.READY
    assert again.file_path != first.file_path


def test_users_who_see_different_values_never_share_a_map(fiche_world, ask, client, settings):
    """ald_share is not public: the élu of commune A sees the EPCI's map without A2's value."""
    w = fiche_world
    for_epci = _document_of(ask(w.elu_e1, w.e1, indicateur="ald_share"))
    for_commune = _document_of(ask(w.elu_a, w.e1, indicateur="ald_share"))
    assert for_epci != for_commune and for_epci.cache_key != for_commune.cache_key
    assert list(for_commune.requesters.all()) == [w.elu_a]

    def by_code(document):
        page = Path(settings.PRIVATE_MEDIA_ROOT, document.file_path).read_text()
        return {f["properties"]["code"]: f["properties"] for f in _features(page)}

    assert by_code(for_epci)[w.a2.code]["class"] != "restricted"
    assert by_code(for_commune)[w.a2.code]["class"] == "restricted"
    assert "value" not in by_code(for_commune)[w.a2.code]
    # The élu of A may not download the EPCI élu's file (they did not ask for it, it shows more).
    client.force_login(w.elu_a)
    assert client.get(reverse("documents:download", args=[for_epci.pk])).status_code == 404
    assert client.get(reverse("documents:download", args=[for_commune.pk])).status_code == 200


def test_map_access_rules(fiche_world, ask, client, settings):
    w = fiche_world
    document = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density"))
    download = reverse("documents:download", args=[document.pk])
    detail = reverse("documents:detail", args=[document.pk])

    for outsider in (w.elu_c, w.referent_d2):  # another département: neither the territory nor its maps
        client.force_login(outsider)
        assert client.get(download).status_code == 404
        assert client.get(detail).status_code == 404
        assert ask(outsider, w.e1, indicateur="gp_density").status_code == 404
        with pytest.raises(services.DocumentNotAllowed):
            services.request_map(user=outsider, territory=w.e1, indicator_code="gp_density")
    assert ask(w.elu_a, w.b, indicateur="gp_density").status_code == 404  # an élu: their commune and EPCI only
    assert GeneratedDocument.objects.count() == 1
    assert list(document.requesters.all()) == [w.elu_e1]

    client.force_login(w.admin)
    assert client.get(download).status_code == 200
    client.logout()
    assert client.get(download).status_code == 302  # to the login page
    assert client.post(_request_url(w.e1), {"indicateur": "gp_density"}).status_code == 302
    assert GeneratedDocument.objects.count() == 1


def test_the_map_form_needs_a_post_with_the_csrf_token(fiche_world, client):
    w = fiche_world
    client.force_login(w.elu_e1)
    assert client.get(_request_url(w.e1)).status_code == 405
    strict = type(client)(enforce_csrf_checks=True)
    strict.force_login(w.elu_e1)
    assert strict.post(_request_url(w.e1), {"indicateur": "gp_density"}).status_code == 403
    assert not GeneratedDocument.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"indicateur": "inconnu"}, "Indicateur inconnu."),
        ({"indicateur": "gp_density", "annee": "2019"}, "Années disponibles : 2025, 2024, 2023, 2022, 2021."),
        ({"indicateur": "gp_density", "annee": "deux-mille"}, "Années disponibles :"),
        ({"indicateur": "gp_density", "classes": "kmeans"}, "Méthode de classement inconnue"),
    ],
)
def test_a_map_that_cannot_be_drawn_is_a_french_error_and_no_document(fiche_world, ask, form, message):
    response = ask(fiche_world.elu_e1, fiche_world.e1, **form)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page and "La carte ne peut pas être générée" in page
    assert reverse("portal:territory", args=["epci", fiche_world.e1.code]) in page
    assert not GeneratedDocument.objects.exists()


def test_values_gone_before_the_job_runs_end_in_a_french_failure(fiche_world, client, settings):
    w = fiche_world
    document = services.request_map(user=w.elu_e1, territory=w.e1, indicator_code="gp_density", year="2025")
    assert document.status == DocumentStatus.PENDING  # on-commit not run: the task has not started yet
    IndicatorValue.objects.filter(territory=w.e1, indicator__code="gp_density").delete()

    services.run_eagerly(str(document.pk))

    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == services.MAX_ATTEMPTS
    assert document.error == (
        "La génération du document a échoué après 4 tentatives : "
        f"Aucune valeur de l'indicateur « {GP_LABEL} » pour ce territoire."
    )
    assert document.file_path == "" and _files(settings) == []
    client.force_login(w.elu_e1)
    page = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert "La génération a échoué" in page
    # The retry button asks for the same map again.
    assert f'action="{_request_url(w.e1)}"' in page
    assert 'name="indicateur" value="gp_density"' in page and 'name="annee" value="2025"' in page
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404


def test_a_missing_map_file_is_not_served_and_the_map_is_made_again(fiche_world, ask, client, settings):
    w = fiche_world
    document = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density"))
    Path(settings.PRIVATE_MEDIA_ROOT, document.file_path).unlink()
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404
    page = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert "Le fichier de cette carte n'est plus disponible" in page
    again = _document_of(ask(w.elu_e1, w.e1, indicateur="gp_density"))
    assert again != document and again.status == DocumentStatus.READY


def test_request_map_makes_a_fixed_number_of_queries(fiche_world, django_assert_max_num_queries):
    w = fiche_world
    # Savepoint, visibility, indicator, years, data version, data loads, existing documents, insert,
    # requesters, release: none depends on the number of communes (the map is drawn by the job).
    with django_assert_max_num_queries(10):
        first = services.request_map(user=w.referent_d1, territory=w.d1, indicator_code="gp_density")
    with django_assert_max_num_queries(9):  # reused: no insert
        assert services.request_map(user=w.referent_d1, territory=w.d1, indicator_code="gp_density") == first


def test_download_name_of_a_map_uses_its_creation_day(fiche_world, settings):
    from portal.documents.views import download_name

    w = fiche_world
    document = _ready_document(settings, territory=w.e1, requested_by=w.elu_e1, requesters=[w.elu_e1])
    document.kind, document.parameters = DocumentKind.MAP_HTML, {"indicator": "gp_density", "year": 2025}
    day = timezone.localtime(document.created_at).date()
    assert download_name(document) == f"carte-gp_density-{w.e1.code}-{day.isoformat()}.html"
    assert download_name(document) == choropleth.map_filename(
        indicator_code="gp_density", territory_code=w.e1.code, day=day
    )
