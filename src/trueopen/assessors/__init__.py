"""Assessors: pure functions over the evidence, one module per framework (MOF, OSAID, EU AI Act, ...)."""
