"""The dealer's vocabulary for Chinese segmentation and the entity_ruler.

Read from data files (one source of truth): service-type synonyms from the
dealer catalogue, car models from data/entity_patterns/car_models.txt.
"""
from __future__ import annotations

from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CATALOG = REPO_ROOT / "dealer" / "demo_dealer.yml"
PATTERN_DIR = REPO_ROOT / "data" / "entity_patterns"


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def entity_terms() -> dict[str, list[str]]:
    """Entity label -> the words that are that entity."""
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    services = sorted(
        {word for service in catalog["service_types"] for word in (service["name"], *service["synonyms"])}
        - {"其他", "其它", "别的"}
    )
    terms = {"service_type": services}
    for label, filename in (("car_model", "car_models.txt"), ("part", "parts.txt"), ("symptom", "symptoms.txt")):
        terms[label] = sorted(set(_lines(PATTERN_DIR / filename)))
    return terms


def all_words() -> list[str]:
    return sorted({word for words in entity_terms().values() for word in words})
