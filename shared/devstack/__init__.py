"""The embedded stack for `make run` and the test harness: PostgreSQL, a Kafka-protocol broker
(Apache Kafka or Tansu), an SMTP sink, and the four services as supervised processes.
"""
