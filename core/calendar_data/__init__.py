"""Operator calendar data files (``<country lower>/<year>.json``); see README.md here."""
