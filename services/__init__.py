"""The four hoctap services; each is importable as services.<name> and runs as its own process."""
