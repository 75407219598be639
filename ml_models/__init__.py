"""Published perioperative risk models as ONNX graphs: specs, build, engine, CLI, cards (see README.md)."""
