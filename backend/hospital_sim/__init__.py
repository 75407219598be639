"""Hospital simulator: a deterministic synthetic hospital behind HTTP (see README.md). No Django."""
