"""The offline cache: one SQLite file per profile holding what was fetched
(search pages, session documents and parts), searchable offline with the
appliance's own query language, plus local triage marks.

Headless: no textual, and nothing from spstui.simulator (tests compare the two).
"""

from spstui.cache.cached import TRIAGE_FLAGS, Cached, CachedPage, OfflineResult, Triage
from spstui.cache.keys import query_key
from spstui.cache.offline_query import OfflineQueryError
from spstui.cache.paths import ENV_VAR, default_path
from spstui.cache.store import DEFAULT_MAX_BYTES, CacheStore

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENV_VAR",
    "TRIAGE_FLAGS",
    "CacheStore",
    "Cached",
    "CachedPage",
    "OfflineQueryError",
    "OfflineResult",
    "Triage",
    "default_path",
    "query_key",
]
