"""The deterministic demo (seed-demo) and the benchmark data (bench-data)."""
