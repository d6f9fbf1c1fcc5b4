"""Pure recognition logic: rule sets, their validation, and evaluation with an explanation."""
