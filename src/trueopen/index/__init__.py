"""The openness index: an audit store, batch audits of many releases, and a static site."""
