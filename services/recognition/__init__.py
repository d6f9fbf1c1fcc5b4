"""Recognition: evaluates the title criteria (rule sets as versioned data) and emits decisions."""
