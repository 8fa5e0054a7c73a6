"""Many analyses at once: sweeps (the cross product), model families side by side, a run against its
float32 clean baseline, and sweeps on a Ray cluster."""
