"""Tests of media_pipeline.models."""
