"""Domain events other apps listen to, so that figures derived from a dataset follow its reloads.

``supply_changed``: the counts of health professionals changed (demonstration data generated, an RPPS or other
supply import). Sent inside the load's transaction with ``source`` (its ``DataSource`` row); receivers defer
their work to ``transaction.on_commit`` (e.g. ``accessibility`` recomputes the computed accessibility).
"""

from django.dispatch import Signal

supply_changed = Signal()
