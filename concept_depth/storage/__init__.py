"""The on-disk cache: a JSON index of metadata and results (diskcache), checksummed ``.npy`` layer
files and the chunks of extractions in progress, file locks, verification and repair, sweep records."""
