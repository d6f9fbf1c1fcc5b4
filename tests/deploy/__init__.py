"""Deployment manifests, images and alert rules, validated offline (marked contract)."""
