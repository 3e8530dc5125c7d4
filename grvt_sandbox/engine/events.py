"""Synchronous observer lists for everything the engine does (gateways and the synthetic market listen)."""
from typing import Callable, Generic, List, TypeVar

F = TypeVar("F", bound=Callable)


class Listeners(Generic[F]):
    """`add(callback)` returns a function that removes it again. Callbacks run inline and must be quick."""

    __slots__ = ("_callbacks",)

    def __init__(self) -> None:
        self._callbacks: List[F] = []

    def add(self, callback: F) -> Callable[[], None]:
        # copy on write: a callback may add or remove listeners while they are being called
        self._callbacks = self._callbacks + [callback]

        def remove() -> None:
            self._callbacks = [existing for existing in self._callbacks if existing is not callback]
        return remove

    def emit(self, *args: object) -> None:
        for callback in self._callbacks:
            callback(*args)

    def __bool__(self) -> bool:
        return bool(self._callbacks)

    def __len__(self) -> int:
        return len(self._callbacks)


class EngineEvents:
    """order(order), fill(fill), position(position), trade(trade), price(instrument),
    cancel_status(sub_account_id, client_order_id, order_id, reason, cancel_status), funding(payment),
    book(instrument, is_bid, price_int)."""

    def __init__(self) -> None:
        self.order: Listeners = Listeners()
        self.fill: Listeners = Listeners()
        self.position: Listeners = Listeners()
        self.trade: Listeners = Listeners()
        self.price: Listeners = Listeners()
        self.cancel_status: Listeners = Listeners()
        self.funding: Listeners = Listeners()
        self.book: Listeners = Listeners()
