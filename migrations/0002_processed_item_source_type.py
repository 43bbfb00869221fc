"""Index processed items by source type, for GET /processed-items?source_type=... (newest first)."""


def up(migrator, db):
    migrator.migrate(migrator.add_index('datamachine_processed_items', ('source_type',)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('datamachine_processed_items',
                                         'datamachine_processed_items_source_type'))
