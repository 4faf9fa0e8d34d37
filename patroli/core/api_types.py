"""Input types the API's schemas share."""

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from pydantic import AfterValidator, AwareDatetime


def _in_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(_("The time lies outside the years 1 to 9999")) from None


# A time as given, read in UTC when it has a zone: pydantic accepts any offset up to a day, and
# PostgreSQL refuses one past 15:59 (a 500). The same moment in UTC is always fine. A time
# without a zone stays as it is (Django reads it in the server's time zone).
Moment = Annotated[dt.datetime, AfterValidator(_in_utc)]
AwareMoment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
