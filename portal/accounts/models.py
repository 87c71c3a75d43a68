from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models

from .enums import ReferentDomain, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A portal account, identified by e-mail.

    Scope: an élu sees one territory (a commune or an EPCI); a CPAM referent one département and
    one or more referent domains; an administrator everything.
    """

    username = None
    email = models.EmailField("adresse e-mail", unique=True)
    role = models.CharField("rôle", max_length=16, choices=Role.choices, default=Role.ELU)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire de l'élu",
        on_delete=models.PROTECT,  # reference data is never deleted under an account
        null=True,
        blank=True,
        related_name="elus",
    )
    department = models.ForeignKey(
        "territories.Territory",
        verbose_name="département du référent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referents",
    )
    referent_domains = models.JSONField("domaines du référent", default=list, blank=True)
    function = models.CharField("fonction", max_length=120, blank=True, help_text="Ex. : maire, adjoint à la santé.")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]),
                name="user_role_valid",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def is_elu(self) -> bool:
        return self.role == Role.ELU

    @property
    def is_referent(self) -> bool:
        return self.role == Role.REFERENT

    @property
    def is_portal_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    def get_referent_domains_display(self) -> list[str]:
        labels = dict(ReferentDomain.choices)
        return [labels.get(code, code) for code in self.referent_domains]

    def clean(self):
        super().clean()
        from territories.enums import Level

        if self.role == Role.ELU:
            if not self.territory_id:
                raise ValidationError({"territory": "Un élu doit être rattaché à une commune ou un EPCI."})
            if self.territory.level not in (Level.COMMUNE, Level.EPCI):
                raise ValidationError({"territory": "Le territoire d'un élu est une commune ou un EPCI."})
        if self.role == Role.REFERENT:
            if not self.department_id:
                raise ValidationError({"department": "Un référent CPAM doit être rattaché à un département."})
            if self.department.level != Level.DEPARTMENT:
                raise ValidationError({"department": "Choisissez un département."})
            unknown = set(self.referent_domains or []) - set(ReferentDomain.values)
            if unknown or not self.referent_domains:
                raise ValidationError({"referent_domains": "Choisissez au moins un domaine de référent valide."})
