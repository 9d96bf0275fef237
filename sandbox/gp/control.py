"""The GP emulator's control API (``/_sandbox/...``, no NTLM, never part of GP): seeding, the warehouse and
back office, faults and counters, so a probe or a demo can drive an emulator in this process or another."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.gp import warehouse
from sandbox.gp.posting import BatchAlreadyPosted, BatchNotFound, post_batch
from sandbox.probe import Fault

if TYPE_CHECKING:
    from sandbox.gp.emulator import GpEmulator


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


class Control:
    def __init__(self, emulator: GpEmulator) -> None:
        self.emulator = emulator

    def routes(self) -> list[BaseRoute]:
        post: dict[str, Callable[[dict[str, Any]], Any]] = {
            "companies": self._company,
            "seed": self._seed,
            "stock": self._stock,
            "price": self._price,
            "customers/hold": self._hold,
            "currencies": self._currency,
            "currencies/remove": self._remove_currency,
            "warehouse/ship": self._ship,
            "batches/post": self._post_batch,
            "faults": self._fault,
        }
        routes: list[BaseRoute] = [
            Route(f"/_sandbox/{name}", self._wrap(fn), methods=["POST"]) for name, fn in post.items()
        ]
        routes.append(Route("/_sandbox/counters", self._counters, methods=["GET"]))
        return routes

    def _wrap(self, fn: Callable[[dict[str, Any]], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await request.json()
            try:
                with self.emulator.store.lock:
                    result = fn(body)
            except (warehouse.NotFound, BatchNotFound, KeyError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            except (BatchAlreadyPosted, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse(result if result is not None else {})

        return endpoint

    def _companies(self, body: dict[str, Any]) -> Any:
        return self.emulator.company(int(body["companyId"]))

    def _company(self, body: dict[str, Any]) -> dict[str, Any]:
        company = self.emulator.add_company(str(body["name"]))
        return {"id": company.id, "name": company.name}

    def _seed(self, body: dict[str, Any]) -> None:
        company_id = int(body["companyId"])
        for c in body.get("customers", []):
            self.emulator.seed_customer(
                c["id"],
                name=c.get("name", ""),
                email=c.get("email", ""),
                phone=c.get("phone", ""),
                company_id=company_id,
            )
        for i in body.get("items", []):
            self.emulator.seed_item(
                i["id"],
                price=_d(i["price"]),
                stock=_d(i.get("stock", 0)),
                description=i.get("description", ""),
                company_id=company_id,
            )

    def _stock(self, body: dict[str, Any]) -> dict[str, Any]:
        on_hand = warehouse.move_stock(self._companies(body), str(body["item"]), _d(body["delta"]))
        return {"onHand": str(on_hand)}

    def _price(self, body: dict[str, Any]) -> None:
        warehouse.set_price(self._companies(body), str(body["item"]), _d(body["price"]))

    def _hold(self, body: dict[str, Any]) -> None:
        warehouse.set_hold(self._companies(body), str(body["customer"]), bool(body["onHold"]))

    def _currency(self, body: dict[str, Any]) -> None:
        self._companies(body).foreign_currencies.add(str(body["code"]))

    def _remove_currency(self, body: dict[str, Any]) -> None:
        company = self._companies(body)
        if str(body["code"]) not in company.foreign_currencies:
            raise KeyError(f"currency {body['code']} is not set up")
        company.foreign_currencies.discard(str(body["code"]))

    def _ship(self, body: dict[str, Any]) -> dict[str, Any]:
        quantities = body.get("quantities")
        shipment = warehouse.ship(
            self._companies(body),
            str(body["reference"]),
            None if quantities is None else {k: _d(v) for k, v in quantities.items()},
            carrier=str(body.get("carrier", "")),
            tracking_number=str(body.get("trackingNumber", "")),
        )
        return {"number": shipment.number, "documentId": shipment.document_id}

    def _post_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        posted = post_batch(self._companies(body), str(body["source"]), str(body["number"]))
        return {"posted": posted}

    def _fault(self, body: dict[str, Any]) -> None:
        if body.get("clear"):
            self.emulator.reset_faults()
            return
        retry_after = body.get("retryAfter")
        self.emulator.inject_fault(
            Fault(str(body["fault"])),
            retry_after=None if retry_after is None else int(retry_after),
            hang_seconds=float(body.get("hangSeconds", 10.0)),
        )

    async def _counters(self, request: Request) -> Response:
        emulator = self.emulator
        by_operation = {**emulator.soap.calls, **emulator.sba.calls}
        faults = dict(emulator.faults.counters)
        return JSONResponse({"faults": faults, "operations": by_operation, "ntlm": dict(emulator.gate.counters)})
