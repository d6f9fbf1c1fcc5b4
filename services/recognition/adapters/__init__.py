"""Recognition adapters: PostgreSQL (db, store, projections, population), rule-set files
(rule_files), and the terminal (cli, terminal)."""
