"""Notifications: e-mails the responsible agency when a growth target is missed."""
