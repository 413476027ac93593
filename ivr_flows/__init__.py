"""The IVR: flow schema, the pure interpreter, and the shipped flows."""
