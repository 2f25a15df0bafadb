"""Text in photos: PP-OCR through RapidOCR on ONNX Runtime, the `photo_text` stage and asset."""
