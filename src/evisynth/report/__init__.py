"""Reports: templates rendered to strings (the caller decides where they go)."""
