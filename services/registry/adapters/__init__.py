"""Registry adapters: PostgreSQL (db)."""
