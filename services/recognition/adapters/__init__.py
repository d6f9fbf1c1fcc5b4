"""Recognition adapters: PostgreSQL (db) and rule-set files (rule_files)."""
