"""\"On this day\" memories: which photos of earlier years to show today, and their asset."""
