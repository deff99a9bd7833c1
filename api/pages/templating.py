"""The Jinja2 environment of the pages, with the filters they share."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

from api.labels import FIELD_LABELS, STATUS_LABELS
from dealer.catalog import Catalog
from dealer.privacy import mask_phone
from dealer.timefmt import WEEKDAYS

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def _local(value: datetime | None, catalog: Catalog, pattern: str = "%m-%d %H:%M") -> str:
    if value is None:
        return ""
    local = value.astimezone(catalog.timezone)
    return local.strftime(pattern).replace("{weekday}", WEEKDAYS[local.weekday()])


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(TEMPLATE_DIR))
    engine.env.filters["masked"] = mask_phone
    engine.env.filters["local"] = _local
    engine.env.globals["STATUS_LABELS"] = STATUS_LABELS
    engine.env.globals["FIELD_LABELS"] = FIELD_LABELS
    return engine
