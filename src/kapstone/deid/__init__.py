"""The pure de-identification engine (no Django): known values, structured rules, free-text detectors."""
