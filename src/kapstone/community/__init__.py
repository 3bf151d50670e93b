"""Community, part 2: peer support, mentorship, live workshops, the resource library and the referral
directory.
"""
