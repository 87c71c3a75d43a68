"""``load_aids``: the committed catalogue, idempotence, history, admin edits kept, all-or-nothing French errors."""

import copy
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from aids.models import Aid, AidTerms
from aids.services.catalogue import DEFAULT_CATALOGUE, SOURCE_NAME, CatalogueError, load_catalogue
from territories.models import DataSource
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

CATALOGUE = json.loads(DEFAULT_CATALOGUE.read_text())
ISERE_SLUGS = {a["slug"] for a in CATALOGUE["aids"] if a["funder_territory"]}


def write(tmp_path, data, name="catalogue.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def entry(data, slug):
    return next(a for a in data["aids"] if a["slug"] == slug)


def run(**options):
    out, err = io.StringIO(), io.StringIO()
    call_command("load_aids", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_committed_catalogue_holds_the_booklet_aids_with_their_sources(world):
    out, err = run()
    assert "Catalogue des aides 2026-01 chargé : 17 aide(s) créée(s)" in out and not err
    zip_aid = Aid.objects.get(slug="am-primo-installation-zip")
    assert zip_aid.funder_territory is None and zip_aid.once_per_years == 10
    assert "décret n° 2025-231" in zip_aid.non_cumulative_rule
    amounts = {
        t.valid_from: (t.amount, t.valid_until) for t in zip_aid.terms.all()
    }  # CAIM until 31/12/2025, then 10 000 €
    assert amounts == {
        date(2025, 1, 1): (Decimal("50000"), date(2025, 12, 31)),
        date(2026, 1, 1): (Decimal("10000"), None),
    }
    expected = {
        "am-primo-installation-zac": Decimal("5000"),
        "am-cabinet-secondaire-zip": Decimal("3000"),
        "consultations-avancees": Decimal("200"),
        "cesp": Decimal("1200"),
        "isere-medecins": Decimal("56000"),
        "isere-aide-materielle": Decimal("50"),
        "isere-dentistes": Decimal("35000"),
        "isere-infirmier-ipa": Decimal("22500"),
        "isere-esp-immobilier": Decimal("100000"),
        "ipa-formation": Decimal("15000"),
        "ipa-installation-liberale": Decimal("40000"),
        "assistant-medical": Decimal("38000"),
        "france-sante": Decimal("50000"),
    }
    for slug, amount in expected.items():
        assert AidTerms.objects.in_force(on=date(2026, 3, 1)).get(aid__slug=slug).amount == amount, slug
    for slug in ISERE_SLUGS:
        assert Aid.objects.get(slug=slug).funder_territory == world.isere
    assert all(a.source for a in Aid.objects.all())
    schedule = AidTerms.objects.get(aid__slug="assistant-medical").schedule
    assert schedule["rows"] == [
        {"fte": 0.5, "amounts": [19000, 14000, 11000]},
        {"fte": 1, "amounts": [38000, 28000, 22000]},
    ]
    consultations = AidTerms.objects.get(aid__slug="consultations-avancees")
    assert consultations.cap == Decimal("2400")  # 6 days = 12 half-days × 200 €
    source = DataSource.objects.get(name=SOURCE_NAME)
    assert source.version == "2026-01" and len(source.checksum) == 64 and not source.is_demo


def test_second_load_changes_nothing_and_adds_no_history(world):
    run()
    counts = (Aid.objects.count(), AidTerms.objects.count(), Aid.history.count(), AidTerms.history.count())
    out, _ = run()
    assert "déjà chargé : rien à faire" in out
    out, _ = run(force=True)  # even re-applied, identical values write nothing
    assert "déjà chargé : rien à faire" in out
    assert (Aid.objects.count(), AidTerms.objects.count(), Aid.history.count(), AidTerms.history.count()) == counts
    assert DataSource.objects.filter(name=SOURCE_NAME).count() == 1


def test_a_new_amount_in_the_file_updates_the_row_with_one_history_record(world, tmp_path):
    load_catalogue()
    data = copy.deepcopy(CATALOGUE)
    entry(data, "isere-dentistes")["terms"][0]["amount"] = 36000
    report = load_catalogue(path=write(tmp_path, data))
    assert (report.created, report.updated, report.terms_updated) == (0, 0, 1)
    terms = AidTerms.objects.get(aid__slug="isere-dentistes")
    assert terms.amount == Decimal("36000")
    assert [h.amount for h in terms.history.order_by("history_id")] == [Decimal("35000"), Decimal("36000")]
    assert terms.history.latest().history_change_reason == "Chargement du catalogue des aides 2026-01"
    assert DataSource.objects.filter(name=SOURCE_NAME).count() == 2


def test_admin_edits_survive_a_rerun_of_the_same_file(world):
    load_catalogue()
    terms = AidTerms.objects.get(aid__slug="isere-dentistes")
    terms.amount = Decimal("37000")
    terms.save()
    load_catalogue()
    terms.refresh_from_db()
    assert terms.amount == Decimal("37000")


def test_terms_added_in_the_admin_are_kept_and_conflicts_refused(world, tmp_path):
    load_catalogue()
    aid = Aid.objects.get(slug="cesp")
    current = aid.terms.get()
    current.valid_until = date(2026, 12, 31)
    current.save()
    AidTerms.objects.create(aid=aid, valid_from=date(2027, 1, 1), amount_kind="monthly", amount=Decimal("1300"))
    data = copy.deepcopy(CATALOGUE)
    entry(data, "cesp")["terms"][0]["amount_note"] = "brut"
    entry(data, "cesp")["terms"][0]["valid_until"] = "2026-12-31"
    load_catalogue(path=write(tmp_path, data))
    assert aid.terms.count() == 2  # the admin's 2027 terms are still there
    # A file whose open-ended period now overlaps the admin's terms is refused, with the reason.
    entry(data, "cesp")["terms"][0]["valid_until"] = None
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path=write(tmp_path, data, "b.json"))
    assert "conflit avec des conditions saisies dans l'administration" in error.value.errors[0]
    assert aid.terms.get(valid_from=date(2026, 1, 1)).valid_until == date(2026, 12, 31)


def test_territorial_aids_wait_for_their_territory(db):
    _, err = run()
    assert "Aide « isere-medecins » ignorée : territoire department 38 absent du référentiel" in err
    assert not Aid.objects.filter(slug__in=ISERE_SLUGS).exists()
    assert Aid.objects.count() == 17 - len(ISERE_SLUGS)
    isere = DepartmentFactory(code="38", name="Isère", with_geometry=False)
    out, err = run()  # same file: creates what is missing, nothing else
    assert f"{len(ISERE_SLUGS)} aide(s) créée(s)" in out and not err
    assert set(Aid.objects.filter(funder_territory=isere).values_list("slug", flat=True)) == ISERE_SLUGS


def _bad(mutate):
    data = copy.deepcopy(CATALOGUE)
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: entry(d, "cesp")["terms"][0].update(amount=-1200),
            "Aide « cesp », conditions n° 1, montant : montant négatif (-1200).",
        ),
        (lambda d: entry(d, "cesp")["terms"][0].update(valid_from="2026-13-01"), "date invalide « 2026-13-01 »"),
        (lambda d: entry(d, "cesp").update(funder="mairie"), "Aide « cesp », financeur : valeur inconnue « mairie »"),
        (
            lambda d: entry(d, "cesp").update(beneficiaries=[]),
            "Aide « cesp », bénéficiaires : liste non vide attendue.",
        ),
        (lambda d: entry(d, "cesp").update(zoning_condition="zrr"), "condition de zonage : valeur inconnue « zrr »"),
        (lambda d: entry(d, "cesp").pop("source"), "champ(s) obligatoire(s) manquant(s) : source"),
        (lambda d: entry(d, "cesp").update(montant=3), "champ(s) inconnu(s) : montant"),
        (lambda d: d["aids"].append(copy.deepcopy(entry(d, "cesp"))), "Aide « cesp » : identifiant en double"),
        (
            lambda d: entry(d, "am-primo-installation-zip")["terms"][0].update(valid_until="2026-06-30"),
            "Les périodes de validité se chevauchent",
        ),
        (
            lambda d: entry(d, "isere-medecins").update(funder_territory={"level": "iris", "code": "38"}),
            "périmètre",
        ),
        (lambda d: entry(d, "cesp")["terms"][0].update(valid_until="2025-01-01"), "date de fin doit être postérieure"),
        (lambda d: entry(d, "cesp")["terms"][0].update(amount=None), "Indiquez le montant."),
        (lambda d: d.pop("version"), "version"),
    ],
)
def test_bad_data_is_refused_with_french_errors_and_nothing_is_written(world, tmp_path, mutate, message):
    path = write(tmp_path, _bad(mutate))
    with pytest.raises(CommandError) as error:
        run(file=path)
    text = str(error.value)
    assert text.startswith("Catalogue des aides non chargé (aucune modification)")
    assert message in text
    assert not Aid.objects.exists() and not AidTerms.objects.exists()
    assert not DataSource.objects.filter(name=SOURCE_NAME).exists()


def test_database_errors_roll_back_the_whole_load(world, tmp_path):
    """An error found while writing (here the last aid) leaves the earlier aids unwritten too."""
    data = _bad(lambda d: d["aids"][-1]["terms"][0].update(amount_kind="percent", amount=50))  # no cap
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path=write(tmp_path, data))
    assert "Indiquez le plafond" in " ".join(error.value.errors)
    assert not Aid.objects.exists()


def test_unreadable_files(world, tmp_path):
    with pytest.raises(CommandError, match="JSON"):
        run(file=_write_raw(tmp_path, "{ pas du json"))
    with pytest.raises(CommandError, match="illisible"):
        run(file=tmp_path / "absent.json")


def _write_raw(tmp_path, text):
    path = tmp_path / "raw.json"
    path.write_text(text)
    return path
