"""Registry: the authoritative record of areas, households and their evidence."""
