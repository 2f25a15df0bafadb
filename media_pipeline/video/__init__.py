"""Videos people can play: probing, the transcode policy, encoding (PyAV), tone mapping,
hardware-acceleration choice. Pure media work; the Dagster asset is in assets.py."""
