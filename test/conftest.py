"""Keeps every test in this process on loopback.

The suite runs offline. A connection to a real host (a forgotten mock, a default GRVT URL, a background task that
outlives its test's mocks) does not fail there: it waits for an answer that never comes, until pytest's timeout ends
the test minutes later without saying why. Here such a connection is refused at once, and the test that made it fails
naming the address, even when the connector retried the refusal silently.
"""
import ipaddress
import socket

import pytest

_LOCAL_NAMES = frozenset({"", "localhost"})
_reached: list = []


def _is_loopback(host) -> bool:
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse_remote(original, describe):
    def guarded(*args, **kwargs):
        target = describe(*args)
        if target is not None and not _is_loopback(target[0]):
            _reached.append(target)
            raise ConnectionRefusedError(f"tests stay on loopback: refused {target!r}")
        return original(*args, **kwargs)
    return guarded


def _socket_target(sock, address, *_):
    inet = sock.family in (socket.AF_INET, socket.AF_INET6)
    return address if inet and isinstance(address, tuple) else None


def _lookup_target(host, port=None, *_):
    return (host, port)


@pytest.fixture(scope="session", autouse=True)
def _loopback_only():
    patch = pytest.MonkeyPatch()
    patch.setattr(socket.socket, "connect", _refuse_remote(socket.socket.connect, _socket_target))
    patch.setattr(socket.socket, "connect_ex", _refuse_remote(socket.socket.connect_ex, _socket_target))
    patch.setattr(socket, "getaddrinfo", _refuse_remote(socket.getaddrinfo, _lookup_target))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _fail_on_remote_connection(_loopback_only):
    _reached.clear()
    yield
    if _reached:
        pytest.fail(f"the test tried to reach the network: {sorted(set(map(repr, _reached)))}")
