"""What the dealer already knows about a customer (returning customers)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.models import Customer, Vehicle
from dealer.services.dealers import DealerRef, dealer_id


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


def customer_history(session: Session, phone: str, dealer: DealerRef = None) -> CustomerHistory | None:
    """What the dealer (default: the default dealer) knows of this phone's customer."""
    customer = session.scalar(
        select(Customer).where(Customer.dealer_id == dealer_id(session, dealer), Customer.phone == phone)
    )
    if customer is None:
        return None
    vehicles = session.scalars(select(Vehicle).where(Vehicle.customer_id == customer.id))
    return CustomerHistory(
        name=customer.name,
        vehicles=tuple(KnownVehicle(plate=v.plate, vin=v.vin, model=v.model) for v in vehicles),
    )
