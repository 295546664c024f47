"""Formats render one Audit (or several, for comparison) into one output. They never recompute a verdict."""
