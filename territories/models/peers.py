from django.db import models
from django.db.models import F, Q


class TerritoryPeer(models.Model):
    """A territory of the same level with a similar population and density (« territoires comparables »).

    Computed by ``territories.services.peers.compute_peers`` from the reference geography (populations
    légales and areas): for each commune, EPCI, département and région, the nearest territories of the
    same level in (log population, log density), nearest first. Precomputed so that a page reads them
    with one indexed query whatever the level.
    """

    territory = models.ForeignKey(
        "territories.Territory", verbose_name="territoire", on_delete=models.CASCADE, related_name="peer_links"
    )
    peer = models.ForeignKey(
        "territories.Territory", verbose_name="territoire comparable", on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveSmallIntegerField("rang")
    distance = models.FloatField("distance (log population, log densité)")

    class Meta:
        verbose_name = "territoire comparable"
        verbose_name_plural = "territoires comparables"
        ordering = ["territory", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "rank"], name="territory_peer_rank_unique"),
            models.UniqueConstraint(fields=["territory", "peer"], name="territory_peer_unique"),
            models.CheckConstraint(condition=~Q(peer=F("territory")), name="territory_peer_not_self"),
        ]

    def __str__(self):
        return f"{self.territory_id} → {self.peer_id} ({self.rank})"
