"""Async test base classes expected by Hummingbot's shared connector test suites.

Hummingbot's packaged suites (``hummingbot.connector.test_support``) import
``test.isolated_asyncio_wrapper_test_case``; the PyPI build does not ship that module,
so this repository provides its own implementation of the same interface.
"""
import asyncio
import functools
import unittest
from typing import Any, Awaitable, Callable, Coroutine, Optional


def _current_or_new_loop() -> asyncio.AbstractEventLoop:
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    return loop


class IsolatedAsyncioWrapperTestCase(unittest.IsolatedAsyncioTestCase):
    """Runs every test in its own loop and restores the loop that was current before the class ran."""

    main_event_loop: Optional[asyncio.AbstractEventLoop] = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.main_event_loop = _current_or_new_loop()

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.main_event_loop is not None and not cls.main_event_loop.is_closed():
            asyncio.set_event_loop(cls.main_event_loop)
        cls.main_event_loop = None
        super().tearDownClass()

    def run_async_with_timeout(self, coroutine: Awaitable, timeout: float = 1) -> Any:
        loop = asyncio.get_event_loop()
        if loop.is_running():
            raise RuntimeError("run_async_with_timeout cannot be called from a running loop; await the coroutine")
        return loop.run_until_complete(asyncio.wait_for(coroutine, timeout))

    @staticmethod
    async def await_task_completion(tasks: Any) -> None:
        if not isinstance(tasks, (list, tuple, set)):
            tasks = [tasks]
        await asyncio.gather(*tasks, return_exceptions=True)


class LocalClassEventLoopWrapperTestCase(unittest.TestCase):
    """Synchronous tests sharing one private loop per class."""

    main_event_loop: Optional[asyncio.AbstractEventLoop] = None
    local_event_loop: Optional[asyncio.AbstractEventLoop] = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.main_event_loop = _current_or_new_loop()
        cls.local_event_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(cls.local_event_loop)

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.local_event_loop is not None:
            cls.local_event_loop.run_until_complete(cls.local_event_loop.shutdown_asyncgens())
            cls.local_event_loop.close()
        cls.local_event_loop = None
        if cls.main_event_loop is not None and not cls.main_event_loop.is_closed():
            asyncio.set_event_loop(cls.main_event_loop)
        cls.main_event_loop = None
        super().tearDownClass()

    def run_async_with_timeout(self, coroutine: Awaitable, timeout: float = 1) -> Any:
        return self.local_event_loop.run_until_complete(asyncio.wait_for(coroutine, timeout))


def async_to_sync(func: Callable[..., Coroutine]) -> Callable[..., Any]:
    """Runs a coroutine function to completion on a private loop, leaving the caller's loop untouched."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = asyncio.get_event_loop_policy()._local._loop if hasattr(
            asyncio.get_event_loop_policy(), "_local") else None
        loop = asyncio.new_event_loop()
        try:
            asyncio.set_event_loop(loop)
            return loop.run_until_complete(func(*args, **kwargs))
        finally:
            loop.close()
            asyncio.set_event_loop(previous)

    return wrapper
