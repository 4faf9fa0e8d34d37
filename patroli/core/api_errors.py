"""Field-level 422 errors for checks that need the database (unknown codes, foreign units)."""

from ninja.errors import ValidationError


class FieldErrors:
    """Collects errors in django-ninja's own shape, so clients parse one format."""

    def __init__(self, root: tuple[str, ...] = ("body", "payload")):
        self.root = root
        self.errors: list[dict] = []

    def add(self, loc: tuple, message: str) -> None:
        self.errors.append({"type": "value_error", "loc": [*self.root, *loc], "msg": str(message)})

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
