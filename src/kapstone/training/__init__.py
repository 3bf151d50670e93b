"""Training, part 1: curriculum as versioned content, knowledge checks, competencies, the reflective
journal, the public guide.
"""
