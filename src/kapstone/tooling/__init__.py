"""Tooling at the very top: the demo organization, the synthetic data generator and the benchmark's
bare baseline views. They stand on every app; nothing in the product imports them."""
