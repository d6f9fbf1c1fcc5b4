"""Pure recognition logic: rule sets and their checks, the compiled evaluation with its
explanation, the cascade (membership and derived facts), decision series, and what-if."""
