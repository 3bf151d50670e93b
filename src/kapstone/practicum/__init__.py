"""Training, part 2: the practicum ledger, requirement sets checked by a pure core, the supervision desk."""
