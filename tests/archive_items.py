"""An extracted article to store in tests: every field has a default, `Art(text=…)` overrides one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Art:
    url: str = "https://example.org/a"
    canonical_url: str | None = None
    title: str | None = "Klimapartnerschaft Musterstadt – Ntoro"
    text: str = "Erster Absatz über die Partnerschaft.\nZweiter Absatz mit Details."
    published_at: str | None = "2024-02-24"
    published_raw: str | None = "Bonn, 24. Februar 2024."
    author: str | None = None
    language: str = "de"
    language_probability: float = 0.99
