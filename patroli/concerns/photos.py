"""Photos of concerns, stored through the shared pipeline of ``patroli.core.photos``."""

from __future__ import annotations

from patroli.core.photos import PhotoError, check_photo, prepare_photo, store_photo

from .models import ConcernPhoto

__all__ = ["PhotoError", "add_photo", "check_photo"]


def add_photo(*, concern, upload) -> ConcernPhoto:
    """Check ``upload``, store it upright, resized and stripped of metadata, with a thumbnail.

    Raises PhotoError when refused. Returns the saved photo."""
    return store_photo(ConcernPhoto(concern=concern), prepare_photo(upload))
