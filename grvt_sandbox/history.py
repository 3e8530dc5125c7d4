"""Append-only, time-ordered logs with GRVT's reverse-chronological cursor pagination."""
from bisect import bisect_right
from collections import deque
from operator import attrgetter
from typing import Any, Callable, Deque, Dict, Generic, Hashable, Iterable, List, Optional, Tuple, TypeVar

from grvt_sandbox.errors import GrvtApiError

T = TypeVar("T")

DEFAULT_PAGE_LIMIT = 500
MAX_PAGE_LIMIT = 1000


def page_limit(value: Any, default: int = DEFAULT_PAGE_LIMIT, maximum: int = MAX_PAGE_LIMIT) -> int:
    """GRVT's `limit`: absent/0 means the default; values above the maximum are capped."""
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise GrvtApiError(1003, "limit must be an integer")
    if limit < 0:
        raise GrvtApiError(1003, "limit must not be negative")
    return min(limit or default, maximum)


class HistoryLog(Generic[T]):
    """Items appended in non-decreasing time order. Each item keeps an absolute index, so a cursor (the index of
    the next, older item to return) stays valid while new items arrive and old ones are trimmed."""

    def __init__(self, max_items: int = 200_000, time_of: Callable[[T], int] = attrgetter("event_time"),
                 keys_of: Optional[Callable[[T], Iterable[Hashable]]] = None):
        self._items: Deque[T] = deque()
        self._times: Deque[int] = deque()
        self._first_index = 0
        self._max_items = max_items
        self._time_of = time_of
        self._keys_of = keys_of
        self._by_key: Dict[Hashable, T] = {}  # newest item per key, when keys_of is given

    def append(self, item: T) -> None:
        self._items.append(item)
        self._times.append(self._time_of(item))
        if self._keys_of is not None:
            for key in self._keys_of(item):
                self._by_key[key] = item
        if len(self._items) > self._max_items:
            dropped = self._items.popleft()
            self._times.popleft()
            self._first_index += 1
            if self._keys_of is not None:
                for key in self._keys_of(dropped):
                    if self._by_key.get(key) is dropped:
                        del self._by_key[key]

    def find(self, key: Hashable) -> Optional[T]:
        """The newest item with `key` (needs keys_of)."""
        return self._by_key.get(key)

    def __len__(self) -> int:
        return len(self._items)

    def latest(self, count: int) -> List[T]:
        """Newest first."""
        count = min(count, len(self._items))
        return [self._items[-1 - i] for i in range(count)]

    def page(
        self,
        limit: int,
        cursor: Optional[str] = None,
        start_time: Optional[int] = None,
        end_time: Optional[int] = None,
        accept: Optional[Callable[[T], bool]] = None,
    ) -> Tuple[List[T], str]:
        """Newest first, items with start_time <= time <= end_time; returns (items, next cursor or "")."""
        if cursor:
            try:
                position = int(cursor) - self._first_index
            except ValueError:
                raise GrvtApiError(1003, "cursor is invalid")
        else:
            position = len(self._items) - 1
            if end_time is not None:
                position = bisect_right(self._times, end_time) - 1
        position = min(position, len(self._items) - 1)
        result: List[T] = []
        while position >= 0:
            item_time = self._times[position]
            if start_time is not None and item_time < start_time:
                return result, ""
            if end_time is not None and item_time > end_time:
                position -= 1
                continue
            item = self._items[position]
            if accept is None or accept(item):
                if len(result) == limit:
                    return result, str(position + self._first_index)
                result.append(item)
            position -= 1
        return result, ""
