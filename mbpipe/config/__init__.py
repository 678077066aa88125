"""A run's config: read, validated against the workflow's schema, checked, and turned into a ManyBodyInput."""
