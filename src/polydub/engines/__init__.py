"""Model adapters, one module per engine, grouped by kind, found through registries by name."""
