"""Deadlines in working days: Monday to Friday, minus the public holidays in the database."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from .models import Holiday


def holidays_between(start: date, end: date) -> set[date]:
    return set(Holiday.objects.filter(date__range=(start, end)).values_list("date", flat=True))


def add_working_days(moment: datetime, days: int) -> datetime:
    """The same local time of day, ``days`` working days after ``moment``.

    Received on Friday at 10.00 with 3 working days: due on Wednesday at 10.00. Received on a
    Saturday: Monday is the first working day.
    """
    local = timezone.localtime(moment)
    # Enough room for weekends and the longest holiday runs (Lebaran collective leave).
    holidays = holidays_between(local.date(), local.date() + timedelta(days=days * 3 + 21))
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)
