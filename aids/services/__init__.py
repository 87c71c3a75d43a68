"""Services of the aid catalogue: eligibility engine, catalogue loader, terms writes, catalogue version."""

from .eligibility import aids_for_territory, aids_summary, check_eligibility, eligible_aids
from .version import catalogue_version

__all__ = ["aids_for_territory", "aids_summary", "catalogue_version", "check_eligibility", "eligible_aids"]
