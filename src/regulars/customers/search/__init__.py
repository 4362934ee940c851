"""Recognition search: find a customer from a few typed letters or phone digits.

Public interface: ``search_customers`` (the query), ``index_customers`` (call inside
every write that changes a customer's names, phones, email, tags, household or visits),
``remove_customers``, ``rebuild_index`` (``regulars reindex``). See docs/search.md.
"""

from regulars.customers.search.index import (
    index_customers,
    index_is_stale,
    rebuild_index,
    remove_customers,
)
from regulars.customers.search.ranking import SearchHit, search_customers

__all__ = [
    "SearchHit",
    "index_customers",
    "index_is_stale",
    "rebuild_index",
    "remove_customers",
    "search_customers",
]
