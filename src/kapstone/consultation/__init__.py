"""Community, part 1: consultation groups and cases de-identified from the record by kapstone.deid."""
