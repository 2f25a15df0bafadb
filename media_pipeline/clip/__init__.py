"""CLIP image/text embeddings, their feed from rendered previews, and exact cosine search."""
