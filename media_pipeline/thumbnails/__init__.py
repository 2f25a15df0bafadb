"""Previews and thumbnails: ``render`` makes them for one file (render.py, pure functions),
``render_many`` for many in worker processes (pool.py), and the ``thumbnails`` asset
(assets.py) stores them content-addressed (storage.py) and records them in the catalog."""
