"""One REST exchange with GRVT, decoded into the caller's reply type; failures raise GrvtPerpetualAPIError."""
from typing import Any, Callable, Dict, Optional, Type, TypeVar

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_web_utils as web_utils
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtPerpetualAuth
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import error_from_response, unreadable_answer
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError, decode_reply
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_transport import OnSent
from hummingbot.core.api_throttler.async_throttler_base import AsyncThrottlerBase
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

T = TypeVar("T")


class GrvtRestClient:
    def __init__(self, domain: str, api_factory: WebAssistantsFactory, throttler: AsyncThrottlerBase,
                 auth: GrvtPerpetualAuth, timeout: Callable[[], float]):
        self._domain = domain
        self._api_factory = api_factory
        self._throttler = throttler
        self._auth = auth
        self._timeout = timeout  # read per request: tests and the bench shorten it on a live connector

    async def request(self, path_url: str, body: Optional[Dict[str, Any]],
                      reply_type: Type[T] = Any,  # type: ignore[assignment]  # Any: the JSON as it came
                      on_sent: OnSent = None, is_auth_required: bool = True, method: RESTMethod = RESTMethod.POST) -> T:
        """`on_sent` runs when the request leaves, after the rate limiter."""
        url = (web_utils.private_rest_url if is_auth_required else web_utils.public_rest_url)(path_url, self._domain)
        request = RESTRequest(method=method, url=url, data=msgspec.json.encode(body).decode() if body else None,
                              headers={"Content-Type": "application/json"}, is_auth_required=is_auth_required)

        async def request_once() -> T:
            rest_assistant = await self._api_factory.get_rest_assistant()
            async with self._throttler.execute_task(limit_id=path_url):
                if on_sent is not None:
                    on_sent()
                response = await rest_assistant.call(request=request, timeout=self._timeout())
                text = await response.text()
            error = error_from_response(response.status, text, path=path_url)
            if error is not None:
                raise error
            try:
                return decode_reply(text, reply_type)
            except GrvtMessageError as decode_error:
                raise unreadable_answer(response.status, text, path_url, str(decode_error)) from None

        if is_auth_required:
            return await self._auth.run_with_session_retry(request_once)
        return await request_once()
