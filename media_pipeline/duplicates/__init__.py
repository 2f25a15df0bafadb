"""Exact and near duplicates: content hashes, CLIP cosine and perceptual hashes, with a keeper."""
