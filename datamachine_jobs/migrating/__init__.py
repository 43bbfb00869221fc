"""Code the migrations in migrations/ share, importable by name (migration files are loaded by
path and cannot import each other). Frozen like the migrations themselves: changing a step here
changes what an already released migration does."""
