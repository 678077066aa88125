"""Seeing the work: the plan preview, its calibration from earlier runs, a run's status and its failures."""
