"""The Jinja2 environment of the pages, with the filters they share."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Form, Query
from fastapi.templating import Jinja2Templates
from pydantic import AfterValidator, BeforeValidator

from api.labels import FIELD_LABELS, STATUS_LABELS
from api.schemas import EARLIEST_DAY, LATEST_DAY
from dealer.catalog import Catalog
from dealer.privacy import mask_name, mask_phone, mask_plate
from dealer.roles import handles_bookings
from dealer.timefmt import WEEKDAYS


def empty_is_none(value: object) -> object:
    """An HTML form sends an untouched field as an empty string: no filter."""
    return None if isinstance(value, str) and not value.strip() else value


def _day_in_range(value: date | None) -> date | None:
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"a day between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


Blank = BeforeValidator(empty_is_none)
# A day chosen in a page's date field; empty means the page's default day.
PageDay = Annotated[date | None, Blank, AfterValidator(_day_in_range), Query(alias="date")]
# The same day sent back by a page's form (the board a button was pressed on).
FormDay = Annotated[date | None, Blank, AfterValidator(_day_in_range), Form(alias="date")]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def _local(value: datetime | None, catalog: Catalog, pattern: str = "%m-%d %H:%M") -> str:
    if value is None:
        return ""
    local = value.astimezone(catalog.timezone)
    return local.strftime(pattern).replace("{weekday}", WEEKDAYS[local.weekday()])


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(TEMPLATE_DIR))
    # List views show who and which car masked (王**, 138****5678, 京A·***45); a draft's page in full.
    engine.env.filters["masked"] = mask_phone
    engine.env.filters["masked_name"] = mask_name
    engine.env.filters["masked_plate"] = mask_plate
    engine.env.filters["local"] = _local
    engine.env.globals["STATUS_LABELS"] = STATUS_LABELS
    engine.env.globals["FIELD_LABELS"] = FIELD_LABELS
    engine.env.globals["handles_bookings"] = handles_bookings  # the desk's links only for the desk
    return engine
