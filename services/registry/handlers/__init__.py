"""Registry use cases: apply facts (from Kafka, HTTP or files), wait for missing references,
re-publish after reorganisations, and resync downstream services."""
