"""Tests of media_pipeline.clip."""
