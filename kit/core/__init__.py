"""The ground every other part of kit stands on: the stored records and how to reach them, settings,
errors, validation of what people type, translations, and the unbound extension objects.

Nothing here imports any other part of kit (an import-linter contract in pyproject.toml says so).
"""
