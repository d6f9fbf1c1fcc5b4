"""Notifications adapters: PostgreSQL (db), SMTP (smtp), configuration files (config_files)."""
