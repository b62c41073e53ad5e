"""Storage: the connection layer (`connection`), the schema (`migrations`) and one repository
per area (`catalogue`, `people`, `outbox`, `staff`, `inbox`), composed by `Repository`.
No SQL lives outside this package."""

from bot.storage.catalogue import (
    LOCALITY_COLUMNS,
    PLACE_COLUMNS,
    PRODUCT_COLUMNS,
    TABLE_COLUMNS,
    TRANSLATION_COLUMNS,
    TRANSLATIONS_VERSION,
)
from bot.storage.connection import Database, StorageError
from bot.storage.migrations import MigrationError, migrations
from bot.storage.outbox import Broadcast, Delivery, utc_now_iso
from bot.storage.repository import Repository

__all__ = [
    "LOCALITY_COLUMNS",
    "PLACE_COLUMNS",
    "PRODUCT_COLUMNS",
    "TABLE_COLUMNS",
    "TRANSLATION_COLUMNS",
    "TRANSLATIONS_VERSION",
    "Broadcast",
    "Database",
    "Delivery",
    "MigrationError",
    "Repository",
    "StorageError",
    "migrations",
    "utc_now_iso",
]
