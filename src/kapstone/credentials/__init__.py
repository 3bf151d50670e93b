"""Training, part 2: certificates as Open Badges 3.0 verifiable credentials, status lists, public
verification.
"""
