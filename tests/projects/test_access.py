"""Who sees (and so edits) which project: ``Project.objects.visible_to`` is the only rule; neighbours are a summary."""

import pytest
from django.contrib.auth.models import AnonymousUser

from projects.models import Project

from .factories import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(world):
    return {
        "a": make_project(world.elu_a, world.a, name="MSP A"),
        "a2": make_project(world.elu_a2, world.a2, name="MSP A2"),
        "e1": make_project(world.elu_e1, world.e1, name="CPTS E1"),
        "b": make_project(world.elu_b, world.b, name="MSP B"),
        "c": make_project(world.elu_c, world.c, name="MSP C"),
    }


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_elu_of_a_commune_sees_their_commune_only(world, projects):
    assert names(Project.objects.visible_to(world.elu_a)) == ["MSP A"]


def test_elu_of_an_epci_sees_the_epci_and_its_communes(world, projects):
    assert names(Project.objects.visible_to(world.elu_e1)) == ["CPTS E1", "MSP A", "MSP A2"]


def test_referent_of_the_exercice_coordonne_domain_sees_their_departement(world, projects):
    assert names(Project.objects.visible_to(world.referent_d1)) == ["CPTS E1", "MSP A", "MSP A2", "MSP B"]
    assert names(Project.objects.visible_to(world.referent_d2)) == ["MSP C"]


def test_referent_of_another_domain_anonymous_and_inactive_see_nothing(world, projects):
    assert not Project.objects.visible_to(world.referent_d1_prev).exists()
    assert not Project.objects.visible_to(AnonymousUser()).exists()
    world.elu_a.is_active = False
    assert not Project.objects.visible_to(world.elu_a).exists()


def test_admin_sees_everything(world, projects):
    assert Project.objects.visible_to(world.admin).count() == 5


def test_neighbours_of_a_commune_are_its_epci_and_the_other_communes(world, projects):
    assert names(Project.objects.neighbours_of(world.elu_a)) == ["CPTS E1", "MSP A2"]
    assert names(Project.objects.neighbours_of(world.elu_b)) == []  # alone in its EPCI


def test_neighbours_of_an_epci_are_the_other_epci_of_the_departement(world, projects):
    assert names(Project.objects.neighbours_of(world.elu_e1)) == ["MSP B"]
    assert not Project.objects.neighbours_of(world.referent_d1).exists()  # a referent sees the pipeline instead
