"""Readers of release file formats, as data: bounded, and every malformation a finding."""
