DATE_FORMAT = "d M Y"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "d M Y H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"]
FIRST_DAY_OF_WEEK = 1
