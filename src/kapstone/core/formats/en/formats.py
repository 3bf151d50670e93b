# The one date format (kapstone.core.localtime) for values a template renders without a filter.
# Django's own format strings: "2 Dec 2026", "14:30 MST", "2 Dec 2026, 14:30 MST".
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i T"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
FIRST_DAY_OF_WEEK = 1
