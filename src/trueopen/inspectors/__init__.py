"""Inspectors: pure functions over a Release that produce evidence. They never run release content."""
