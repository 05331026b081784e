"""The public event contract: types, validation, JSON Schemas and reference code lists."""
