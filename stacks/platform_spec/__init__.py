"""Reading the spec: load and locate YAML, merge profiles and environments, check, the JSON Schema."""
