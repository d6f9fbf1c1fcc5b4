"""hoctap's shared package: the event contract and the plumbing every service uses.

Nothing here knows a business rule; services never import one another, only this package.
"""
