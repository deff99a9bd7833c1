"""What the dealer already knows about a customer (returning customers)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.models import Customer, Vehicle


@dataclass(frozen=True)
class KnownVehicle:
    plate: str | None
    vin: str | None
    model: str | None


@dataclass(frozen=True)
class CustomerHistory:
    name: str | None
    vehicles: tuple[KnownVehicle, ...]

    def vehicle(self, plate: str) -> KnownVehicle | None:
        return next((v for v in self.vehicles if v.plate == plate), None)


def customer_history(session: Session, phone: str) -> CustomerHistory | None:
    customer = session.scalar(select(Customer).where(Customer.phone == phone))
    if customer is None:
        return None
    vehicles = session.scalars(select(Vehicle).where(Vehicle.customer_id == customer.id))
    return CustomerHistory(
        name=customer.name,
        vehicles=tuple(KnownVehicle(plate=v.plate, vin=v.vin, model=v.model) for v in vehicles),
    )
