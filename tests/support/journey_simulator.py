"""The sandbox's simulator, directed at one customer: its own steps (a car checked in, a job
written up, the work order moved on, a payment taken), made for that customer's vehicle
instead of a random one, so that the journey test decides what happens and when.

Run in a sandbox process (the journey does):

    python -m tests.support.journey_simulator open|complete|pay EMAIL

`open` checks the car in (its appointment completes, a work order opens), writes up a job
and starts the work; `complete` moves the work order on until it is completed; `pay` takes
the payment at the counter. Each prints the work order as JSON.
"""

from __future__ import annotations

import json
import os
import random
import sys

# Every choice the simulator still makes (the technician, the job, its parts) is repeatable.
SEED = 14
# A work order moves on one status at a time and may wait for parts on the way: enough steps
# to get from draft to completed whatever it met.
MOST_STEPS = 12


def directed(vehicle):
    from sandbox.core.models import Vehicle, WorkOrder
    from sandbox.simulator.day import BusyDay

    class Directed(BusyDay):
        """The busy day, its random picks narrowed to `vehicle` and its work orders."""

        def pick(self, queryset):
            if queryset.model is Vehicle:
                queryset = queryset.filter(pk=vehicle.pk)
            elif queryset.model is WorkOrder:
                queryset = queryset.filter(vehicle=vehicle)
            return super().pick(queryset)

    return Directed(random.Random(SEED))


def move_on_until(day, vehicle, status: str) -> None:
    for _ in range(MOST_STEPS):
        if vehicle.work_orders.get().status == status:
            return
        day.advance_work_order(vehicle.shop)
    raise RuntimeError(f"the work order is still {vehicle.work_orders.get().status}")


def main(step: str, email: str) -> None:
    from sandbox.core.models import Vehicle

    vehicle = Vehicle.objects.select_related("shop").get(customer__email__iexact=email)
    day = directed(vehicle)
    if step == "open":
        day.open_work_order(vehicle.shop)
        day.add_job(vehicle.shop)
        move_on_until(day, vehicle, "in_progress")
    elif step == "complete":
        move_on_until(day, vehicle, "completed")
    elif step == "pay":
        if day.take_payment(vehicle.shop) is None:
            raise RuntimeError("nothing to pay")
    else:
        raise SystemExit(f"unknown step {step!r}: open, complete or pay")
    order = vehicle.work_orders.get()
    print(
        json.dumps(
            {
                "shop_id": vehicle.shop_id,
                "id": order.id,
                "number": order.number,
                "status": order.status,
                "total": str(order.total),
                "amount_paid": str(order.amount_paid),
            }
        )
    )


if __name__ == "__main__":
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    import django

    django.setup()
    main(*sys.argv[1:])
