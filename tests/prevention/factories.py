from datetime import date

import factory
from factory.django import DjangoModelFactory

from prevention.enums import AccessPointKind, AccessService, ActionStatus, PreventionTheme, TargetPublic
from prevention.models import AccessPoint, PreventionAction
from tests.factories import CommuneFactory


class AccessPointFactory(DjangoModelFactory):
    class Meta:
        model = AccessPoint

    kind = AccessPointKind.FRANCE_SERVICES
    name = factory.Sequence(lambda n: f"France Services n° {n}")
    address = "1 place de la Mairie"
    commune = factory.SubFactory(CommuneFactory)
    latitude = 45.2
    longitude = 5.7
    opening_hours = "Du lundi au vendredi 9 h - 12 h"
    services = factory.LazyFunction(lambda: [AccessService.CSS, AccessService.PAPERWORK])
    is_demo = False

    class Params:
        demo = factory.Trait(is_demo=True)


class PreventionActionFactory(DjangoModelFactory):
    class Meta:
        model = PreventionAction

    title = factory.Sequence(lambda n: f"Action de prévention n° {n}")
    theme = PreventionTheme.VACCINATION
    publics = factory.LazyFunction(lambda: [TargetPublic.ELDERLY])
    commune = factory.SubFactory(CommuneFactory)
    start_date = date(2026, 10, 1)
    end_date = date(2027, 3, 31)
    partners = "CPAM, pharmacies"
    status = ActionStatus.ONGOING
    is_demo = False

    class Params:
        demo = factory.Trait(is_demo=True)
