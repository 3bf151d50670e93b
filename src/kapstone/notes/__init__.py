"""Progress notes (signed, then changed only by addendum) and psychotherapy notes (kept apart)."""
