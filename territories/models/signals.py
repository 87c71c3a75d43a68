"""Early-warning signals (« signaux d'alerte ») of the territorial diagnosis.

Three models: ``SignalRule`` (an admin-editable rule on one indicator, with its history), ``Signal``
(the result of evaluating the rules on the stored indicator values, recomputed by
``territories.services.signals.evaluate_signals``) and ``ReportedSignal`` (a weak signal reported by an
élu or a CPAM referent: announced departure of a doctor, appointment tensions, forgoing care…).
Source of the idea: CPAM Isère booklet for élus (seed 004, « Comprendre vos principaux enjeux locaux,
anticiper plutôt que subir : les signaux d'alerte » and rôle « Observer et alerter »).
"""

from __future__ import annotations

import string
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ..enums import (
    SIGNAL_LEVEL_RANK,
    Level,
    ReportedSignalKind,
    ReportedSignalStatus,
    SignalComparison,
    SignalLevel,
)

# Placeholders an explanation template may use (filled by ``services.signals.explain``).
EXPLANATION_PLACEHOLDERS = {
    "territory": "nom du territoire",
    "value": "valeur (avec son unité)",
    "year": "année de la valeur",
    "reference": "valeur du territoire de référence",
    "reference_label": "territoire de référence (« département », « région », « France »)",
    "compared_to": "« au département », « à la région » ou « à la France »",
    "gap": "écart relatif à la référence (« −32 % »)",
    "start_value": "valeur N années plus tôt",
    "start_year": "année de départ",
    "change": "variation sur la période (« +2,1 points », « −12 % »)",
    "period": "durée de la période en années",
    "threshold": "seuil franchi",
}
TREND_COMPARISONS = (SignalComparison.RISING, SignalComparison.FALLING)
REFERENCE_COMPARISONS = (SignalComparison.BELOW_REFERENCE, SignalComparison.ABOVE_REFERENCE)


def template_placeholders(template: str) -> set[str]:
    """Names used as ``{name}`` in ``template``; raises ValueError on a malformed template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


class SignalRule(models.Model):
    """An early-warning rule evaluated on one indicator for communes, EPCI, départements and régions.

    Comparisons: ``above_threshold`` / ``below_threshold`` compare the value with the thresholds;
    ``below_reference`` / ``above_reference`` compare it with the reference territory (a commune's or an
    EPCI's département, a département's région, a région's France), thresholds being relative gaps in %;
    ``rising`` / ``falling`` compare it with the value ``period_years`` earlier, thresholds being the size of
    the change (in the indicator's unit, points for a percentage, or in % when ``relative_change``).
    Default rules are created by ``sync_signal_rules`` (``territories/services/signals.py``), never
    overwritten there: the admin's changes win and are kept in the history.
    """

    code = models.SlugField("code", max_length=60, unique=True)
    label = models.CharField("libellé", max_length=200)
    indicator = models.ForeignKey(
        "territories.Indicator",
        verbose_name="indicateur",
        on_delete=models.PROTECT,  # a rule must be disabled or deleted before its indicator
        related_name="signal_rules",
    )
    comparison = models.CharField("comparaison", max_length=20, choices=SignalComparison.choices)
    vigilance_threshold = models.FloatField(
        "seuil de vigilance",
        null=True,
        blank=True,
        help_text="Valeur, écart en % à la référence ou ampleur de la variation ; vide : pas de niveau vigilance.",
    )
    alert_threshold = models.FloatField(
        "seuil d'alerte", null=True, blank=True, help_text="Même unité que le seuil de vigilance ; vide : pas d'alerte."
    )
    strict = models.BooleanField(
        "comparaison stricte", default=False, help_text="« > » (ou « < ») au lieu de « ≥ » (ou « ≤ »)."
    )
    period_years = models.PositiveSmallIntegerField(
        "période (années)", null=True, blank=True, help_text="Pour une hausse ou une baisse seulement."
    )
    relative_change = models.BooleanField(
        "variation relative",
        default=False,
        help_text="Hausse ou baisse mesurée en % de la valeur de départ (sinon dans l'unité de l'indicateur).",
    )
    explanation_template = models.TextField(
        "phrase d'explication",
        help_text="Une phrase en français ; champs disponibles : "
        + ", ".join(f"{{{name}}} ({label})" for name, label in EXPLANATION_PLACEHOLDERS.items())
        + ".",
    )
    is_active = models.BooleanField("active", default=True)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "règle de signal d'alerte"
        verbose_name_plural = "règles de signaux d'alerte"
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vigilance_threshold__isnull=False) | Q(alert_threshold__isnull=False),
                name="signal_rule_has_threshold",
            ),
            models.CheckConstraint(
                condition=Q(
                    comparison__in=[c.value for c in TREND_COMPARISONS], period_years__gte=1, period_years__lte=20
                )
                | (~Q(comparison__in=[c.value for c in TREND_COMPARISONS]) & Q(period_years__isnull=True)),
                name="signal_rule_period_for_trends_only",
            ),
            models.CheckConstraint(
                condition=Q(comparison__in=[c.value for c in SignalComparison]), name="signal_rule_comparison_valid"
            ),
        ]

    def __str__(self):
        return self.label

    def clean(self):
        super().clean()
        errors = {}
        if self.vigilance_threshold is None and self.alert_threshold is None:
            errors["alert_threshold"] = "Renseignez au moins un seuil (vigilance ou alerte)."
        elif self.vigilance_threshold is not None and self.alert_threshold is not None:
            lower_is_worse = self.comparison == SignalComparison.BELOW_THRESHOLD
            if (
                (self.alert_threshold > self.vigilance_threshold)
                if lower_is_worse
                else (self.alert_threshold < self.vigilance_threshold)
            ):
                errors["alert_threshold"] = "Le seuil d'alerte doit être plus sévère que le seuil de vigilance " + (
                    "(plus bas)." if lower_is_worse else "(plus élevé)."
                )
        if self.comparison not in (SignalComparison.ABOVE_THRESHOLD, SignalComparison.BELOW_THRESHOLD):
            negative = [t for t in (self.vigilance_threshold, self.alert_threshold) if t is not None and t < 0]
            if negative:
                errors["vigilance_threshold"] = (
                    "Pour un écart à la référence ou une variation, le seuil est une ampleur positive "
                    "(ex. 15 pour « 15 % en dessous »)."
                )
        if self.comparison in TREND_COMPARISONS:
            if not self.period_years:
                errors["period_years"] = "Indiquez la période (en années) de la hausse ou de la baisse."
        elif self.period_years is not None:
            errors["period_years"] = "La période ne s'applique qu'à une hausse ou une baisse."
        try:
            unknown = template_placeholders(self.explanation_template or "") - set(EXPLANATION_PLACEHOLDERS)
        except ValueError:
            errors["explanation_template"] = "Accolades mal fermées dans la phrase d'explication."
        else:
            if unknown:
                errors["explanation_template"] = "Champ(s) inconnu(s) : " + ", ".join(
                    f"{{{name}}}" for name in sorted(unknown)
                )
        if errors:
            raise ValidationError(errors)


class SignalQuerySet(models.QuerySet):
    def by_severity(self):
        """Alertes first, then vigilances; within a level, the rules' display order (deterministic)."""
        return self.order_by("-severity", "rule__position", "rule__code", "territory_id")


class Signal(models.Model):
    """A rule triggered for one territory, as computed from the stored indicator values.

    Rows are replaced as a whole by ``evaluate_signals`` (never edited): ``explanation`` is the French
    sentence with the figures, ``comparison`` the test that triggered the level. Masked (secret) values
    never produce a signal.
    """

    territory = models.ForeignKey("territories.Territory", on_delete=models.CASCADE, related_name="signals")
    rule = models.ForeignKey(SignalRule, verbose_name="règle", on_delete=models.CASCADE, related_name="signals")
    level = models.CharField("niveau", max_length=12, choices=SignalLevel.choices)
    severity = models.PositiveSmallIntegerField("gravité", help_text="3 alerte, 2 vigilance, 1 information.")
    year = models.PositiveSmallIntegerField("année")
    value = models.FloatField("valeur")
    reference_value = models.FloatField("valeur de référence", null=True, blank=True)
    reference_label = models.CharField("territoire de référence", max_length=60, blank=True)
    start_year = models.PositiveSmallIntegerField("année de départ", null=True, blank=True)
    start_value = models.FloatField("valeur de départ", null=True, blank=True)
    explanation = models.TextField("explication")
    comparison = models.CharField("comparaison déclenchante", max_length=200)
    is_demo = models.BooleanField("données de démonstration", default=False)
    computed_at = models.DateTimeField("calculé le")

    objects = SignalQuerySet.as_manager()

    class Meta:
        verbose_name = "signal d'alerte calculé"
        verbose_name_plural = "signaux d'alerte calculés"
        ordering = ["-severity", "rule__position", "rule__code"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "rule"], name="signal_territory_rule_unique"),
            models.CheckConstraint(condition=Q(level__in=[lv.value for lv in SignalLevel]), name="signal_level_valid"),
        ]
        indexes = [models.Index(fields=["territory", "severity"], name="signal_territory_severity")]

    def __str__(self):
        return f"{self.rule_id} {self.territory_id} {self.level}"

    def save(self, *args, **kwargs):
        self.severity = SIGNAL_LEVEL_RANK[SignalLevel(self.level)]
        super().save(*args, **kwargs)


class ReportedSignalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reported signals ``user`` may read.

        Administrators: all. CPAM referent: those of territories of their département. Élu: those of their
        own territory and, for an élu of an EPCI, of its communes; never another territory's.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or getattr(user, "is_portal_admin", False):
            return self.all()
        if getattr(user, "is_referent", False) and user.department_id:
            return self.filter(Q(territory_id=user.department_id) | Q(territory__department_id=user.department_id))
        if getattr(user, "is_elu", False) and user.territory_id:
            inside = Q(territory__epci_id=user.territory_id, territory__level=Level.COMMUNE)
            if user.territory.level != Level.EPCI:
                inside = Q(pk__in=[])
            return self.filter(Q(territory_id=user.territory_id) | inside)
        return self.none()

    def open(self):
        return self.exclude(status=ReportedSignalStatus.CLOSED)


# Level shown for a reported signal: the CPAM booklet treats these as signals to watch (vigilance).
REPORTED_SIGNAL_LEVEL = {
    ReportedSignalKind.DOCTOR_DEPARTURE: SignalLevel.VIGILANCE,
    ReportedSignalKind.APPOINTMENT_TENSIONS: SignalLevel.VIGILANCE,
    ReportedSignalKind.FORGOING_CARE: SignalLevel.VIGILANCE,
    ReportedSignalKind.OTHER: SignalLevel.INFO,
}


class ReportedSignal(models.Model):
    """A weak signal reported by an élu or a CPAM referent on a commune or an EPCI.

    Kinds follow the CPAM booklet (004:L250-252). The referent of the département follows it up
    (nouveau → pris en compte → clos); changes are kept in the history.
    """

    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,  # reports are kept for traceability
        related_name="reported_signals",
    )
    kind = models.CharField("nature du signal", max_length=24, choices=ReportedSignalKind.choices)
    text = models.TextField("description")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,  # the report outlives its author's account
        null=True,
        related_name="reported_signals",
    )
    created_at = models.DateTimeField("signalé le", auto_now_add=True)
    status = models.CharField(
        "statut", max_length=16, choices=ReportedSignalStatus.choices, default=ReportedSignalStatus.NEW
    )
    status_changed_at = models.DateTimeField("statut modifié le", null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="statut modifié par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = ReportedSignalQuerySet.as_manager()

    class Meta:
        verbose_name = "signal remonté"
        verbose_name_plural = "signaux remontés"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in ReportedSignalKind]), name="reported_signal_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ReportedSignalStatus]), name="reported_signal_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["territory", "status"], name="reported_signal_terr_status")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.territory_id})"

    @property
    def level(self) -> str:
        if self.status == ReportedSignalStatus.CLOSED:
            return SignalLevel.INFO
        return REPORTED_SIGNAL_LEVEL[ReportedSignalKind(self.kind)]
