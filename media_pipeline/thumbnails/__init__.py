"""Previews and thumbnails: ``render`` makes them for one file (render.py, pure functions, on
outputs.py, colour.py and poster.py), the ``thumbnails`` asset (assets.py, a stage of
``media_pipeline.stages``) runs it in worker processes, stores them content-addressed
(storage.py) and records them in the catalog."""
