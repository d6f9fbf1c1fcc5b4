"""The event contract: CloudEvents envelope, versioned payloads, and the topic catalogue."""

from .base import EventData, ValueData, event_type
from .catalogue import DEAD_LETTERS, TOPICS, TopicSpec
from .envelope import CloudEvent, EnvelopeError
from .vocabulary import Level, Title

__all__ = [
    "DEAD_LETTERS",
    "TOPICS",
    "CloudEvent",
    "EnvelopeError",
    "EventData",
    "Level",
    "Title",
    "TopicSpec",
    "ValueData",
    "event_type",
]
