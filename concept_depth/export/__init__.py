"""Files for papers: figures as PNG/SVG/PDF (kaleido) and bundles of results (JSON, tidy CSV, figures)."""
