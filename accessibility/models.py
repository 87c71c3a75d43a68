"""Saved « Et si… ? » scenarios: changes to the GP supply an élu or a referent simulates.

A scenario never touches stored data: its changes are applied to a copy of the supply when it is computed
(``accessibility.scenarios``). Private to its author; visible to the CPAM referents of its département once
the author shares it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from territories.enums import Level

MAX_CHANGES = 50


class ScenarioQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Scenarios ``user`` may open: their own; for a CPAM referent, the shared scenarios of their département;
        for an administrator, the shared ones."""
        if not user.is_authenticated:
            return self.none()
        visible = Q(author=user)
        if getattr(user, "is_portal_admin", False) or user.is_superuser:
            visible |= Q(is_shared=True)
        elif getattr(user, "is_referent", False) and user.department_id:
            visible |= Q(is_shared=True, department_id=user.department_id)
        return self.filter(visible)


class Scenario(models.Model):
    """A named set of supply changes on a territory (≤ 50 changes, validated by ``scenarios.read_changes``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.CASCADE,  # a private draft of its author: it goes with the account
        related_name="accessibility_scenarios",
    )
    name = models.CharField("nom", max_length=200)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,  # reference territories are never deleted under a saved scenario
        related_name="+",
    )
    department = models.ForeignKey(
        "territories.Territory",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.DEPARTMENT},
        help_text="Celui du territoire : ses référents CPAM voient le scénario une fois partagé.",
    )
    changes = models.JSONField(
        "changements",
        default=list,
        help_text="Liste de changements : {« action », « commune », « count » ou « fte », « from_commune »}.",
    )
    is_shared = models.BooleanField("partagé avec les référents du département", default=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        verbose_name = "scénario d'accessibilité"
        verbose_name_plural = "scénarios d'accessibilité"
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["department", "is_shared"], name="scenario_department_shared")]

    def __str__(self):
        return self.name
