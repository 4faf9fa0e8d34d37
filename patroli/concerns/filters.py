"""The concern queue's filters, shared by the staff pages, the CSV export and the API."""

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Concern


@dataclass
class ConcernFilter:
    status: list[str]
    category: str = ""
    village: str = ""
    source: str = ""
    overdue: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, params) -> "ConcernFilter":
        statuses = [s for s in params.getlist("status") if s in Concern.Status.values]
        return cls(
            status=statuses,
            category=params.get("category", "").strip(),
            village=params.get("village", "").strip(),
            source=params.get("source", "").strip(),
            overdue=params.get("overdue", "") in {"1", "true", "on"},
            q=params.get("q", "").strip(),
        )

    def apply(self, concerns: QuerySet[Concern]) -> QuerySet[Concern]:
        if self.status:
            concerns = concerns.filter(status__in=self.status)
        if self.category:
            concerns = concerns.filter(category__code=self.category)
        if self.village:
            # A village, or every village of a district or regency by code prefix.
            concerns = concerns.filter(village__code__startswith=self.village)
        if self.source:
            concerns = concerns.filter(source=self.source)
        if self.overdue:
            concerns = concerns.overdue()
        if self.q:
            concerns = concerns.search(self.q)
        return concerns
