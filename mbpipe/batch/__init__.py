"""Running on a batch cluster: the cost model, bundling small fragments, PBS submission and status, and
the scheduler's environment."""
