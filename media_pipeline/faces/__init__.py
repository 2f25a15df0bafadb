"""Faces and people: detection + embeddings (backends), clustering, recognition, crops.

Pure media work, no Dagster: `faces/assets.py` is the thin layer that runs it per library.
"""
