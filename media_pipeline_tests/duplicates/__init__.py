"""Tests of media_pipeline.duplicates."""
