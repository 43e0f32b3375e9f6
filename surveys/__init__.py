"""Survey engine: surveys and their questions, answering, XLSForm import/export, response imports, summaries."""
