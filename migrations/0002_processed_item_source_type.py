"""Index processed items by source type, for GET /processed-items?source_type=... (newest first)."""
from datamachine_jobs.migrating import steps


def up(migrator, db):
    steps.add_index(migrator, db, 'datamachine_processed_items', ('source_type',))


def down(migrator, db):
    steps.drop_index(migrator, db, 'datamachine_processed_items',
                     'datamachine_processed_items_source_type')
