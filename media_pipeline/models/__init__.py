"""Model files (CLIP, insightface): downloaded once, checksummed, verified on load, offline."""
