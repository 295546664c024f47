"""Model-file safety analysis: content is parsed, never loaded."""
