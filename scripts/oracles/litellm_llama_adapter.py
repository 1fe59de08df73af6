"""LiteLLM proxy callback used by servers.sh: lets forced tool calls reach llama-cpp-python.

Why this exists: the test proxy (LiteLLM) serves genuine Anthropic `/v1/messages` and Gemini
`generateContent` front-ends, translates each request to an OpenAI chat completion and sends it to
llama-cpp-python's server. A *forced* tool call arrives there as `tool_choice: "required"`:
LiteLLM's Gemini adapter maps `functionCallingConfig.mode: ANY` to "required" and drops
`allowedFunctionNames`, and Anthropic's `{"type": "any"}` becomes "required" as well.
llama-cpp-python (0.3.x, `--chat_format chatml-function-calling`) only accepts "auto", "none" or a
named function `{"type": "function", "function": {"name": ...}}` and answers "required" with HTTP 500.
`litellm_params.additional_drop_params` cannot help: dropping tool_choice would un-force the call.

What it does, first: just before LiteLLM sends a chat completion upstream, a
`tool_choice` of "required" or "any" with tools present becomes the named-function form that
llama-cpp-python grammar-forces. The function is, in this order:
  1. the first name in Gemini's `allowedFunctionNames` that is offered (read from the original
     request body the proxy keeps in `proxy_server_request`; the Swift client sends exactly one
     for ToolChoice.function);
  2. otherwise the first tool offered (the only one, when one is offered). "Any of these tools" has
     no equivalent in llama-cpp-python, so with several tools this narrows the choice to the first;
     callers that need a particular tool must name it or offer it first or alone.
Every rewrite is logged on the proxy's log (stderr) so a test run shows when it happened.

Second, for streamed requests with tools only: llama-cpp-python streams every tool-call delta twice,
as `tool_calls` and as the legacy `function_call`. LiteLLM 1.108.7's `stream_chunk_builder`
(`get_combined_function_call_content`) reads that `function_call` dict with attribute access and
raises AttributeError when the Anthropic front-end's Responses bridge assembles the message, so the
proxy's Anthropic stream ended with its own `event: error` ("Error building chunks ...") instead of
`message_delta`/`message_stop`. The callback hands LiteLLM an OpenAI client whose HTTP transport
deletes `function_call` from a delta *only when the same delta carries `tool_calls`* (the same call,
in the deprecated field); every other line of the upstream SSE stream passes byte for byte. No callback
hook sees upstream chunks before that builder runs (`async_post_call_streaming_deployment_hook` gets
only the last chunk), hence the transport. It is installed only where LiteLLM has not already picked a
client: the proxy's own `/v1/chat/completions` route passes the router's client, so OpenAI-protocol
tests still see llama-cpp-python's stream unchanged; the Gemini and Anthropic adapters' inner calls
carry none.

Why `async_pre_call_deployment_hook` and not `async_pre_call_hook`: the proxy's pre-call hook
sees the request in the front-end's own shape (Gemini `toolConfig`, Anthropic `tool_choice`)
before the front-end adapter translates it, and the Gemini adapter then discards
`allowedFunctionNames` whatever the hook writes. The deployment hook runs inside every
`litellm.acompletion` (utils.py, `async_pre_call_deployment_hook`), including the one the Gemini
and Anthropic adapters make, on the OpenAI-shaped kwargs that actually go upstream.

Loaded by the proxy config that servers.sh writes (`litellm_settings: callbacks:
litellm_llama_adapter.proxy_handler_instance`; the proxy imports the module from the config's
directory, so servers.sh copies this file next to the generated config).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import httpx
import openai

from litellm.integrations.custom_logger import CustomLogger

_FORCING_CHOICES = frozenset({"required", "any"})


def _tool_names(tools: object) -> list[str]:
    names: list[str] = []
    if isinstance(tools, list):
        for tool in tools:
            function = tool.get("function") if isinstance(tool, Mapping) else None
            name = function.get("name") if isinstance(function, Mapping) else None
            if isinstance(name, str) and name:
                names.append(name)
    return names


def _gemini_allowed_names(kwargs: Mapping[str, Any]) -> list[str]:
    """`allowedFunctionNames` of the original Gemini request, if the proxy kept its body."""
    request = kwargs.get("proxy_server_request")
    body = request.get("body") if isinstance(request, Mapping) else None
    if not isinstance(body, Mapping):
        return []
    config = body.get("toolConfig") or body.get("tool_config")
    if not isinstance(config, Mapping):
        return []
    calling = config.get("functionCallingConfig") or config.get("function_calling_config")
    if not isinstance(calling, Mapping):
        return []
    names = calling.get("allowedFunctionNames") or calling.get("allowed_function_names")
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def forced_function(kwargs: Mapping[str, Any]) -> str | None:
    """The function to force for a "required"/"any" tool_choice, or None to leave kwargs alone."""
    choice = kwargs.get("tool_choice")
    if not isinstance(choice, str) or choice.lower() not in _FORCING_CHOICES:
        return None
    offered = _tool_names(kwargs.get("tools"))
    if not offered:
        return None
    allowed = [n for n in _gemini_allowed_names(kwargs) if n in offered]
    candidates = allowed or offered
    return candidates[0]


def _without_legacy_function_call(line: bytes) -> bytes:
    """One SSE line with `delta.function_call` removed where the same delta carries `tool_calls`."""
    if not line.startswith(b"data: {"):
        return line
    ending = b"\r" if line.endswith(b"\r") else b""  # keep a CRLF line ending as it came
    try:
        chunk = json.loads(line[6:])
    except ValueError:
        return line
    changed = False
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and delta.get("tool_calls") and "function_call" in delta:
            del delta["function_call"]
            changed = True
    return b"data: " + json.dumps(chunk).encode() + ending if changed else line


class _SSELineStream(httpx.AsyncByteStream):
    def __init__(self, upstream: httpx.AsyncByteStream) -> None:
        self._upstream = upstream

    async def __aiter__(self):
        pending = b""
        async for data in self._upstream:
            pending += data
            *lines, pending = pending.split(b"\n")
            if lines:
                yield b"".join(_without_legacy_function_call(line) + b"\n" for line in lines)
        if pending:
            yield _without_legacy_function_call(pending)

    async def aclose(self) -> None:
        await self._upstream.aclose()


class _StreamNormalizingTransport(httpx.AsyncBaseTransport):
    """Drops llama-cpp-python's legacy `function_call` delta that duplicates `tool_calls` (see module doc)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            return response
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_SSELineStream(response.stream), extensions=response.extensions)

    async def aclose(self) -> None:
        await self._inner.aclose()


class LlamaToolChoiceAdapter(CustomLogger):
    def __init__(self) -> None:
        super().__init__()
        self._clients: dict[tuple[str, str], openai.AsyncOpenAI] = {}

    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: object) -> dict[str, Any] | None:
        name = forced_function(kwargs)
        if name is not None:
            print(
                f"litellm_llama_adapter: tool_choice {kwargs['tool_choice']!r} -> function {name!r} "
                f"({len(_tool_names(kwargs.get('tools')))} tool(s) offered)",
                file=sys.stderr,
                flush=True,
            )
            kwargs = {**kwargs, "tool_choice": {"type": "function", "function": {"name": name}}}
        api_base = kwargs.get("api_base")
        if kwargs.get("stream") and kwargs.get("tools") and isinstance(api_base, str) and "client" not in kwargs:
            kwargs = {**kwargs, "client": self._normalizing_client(api_base, str(kwargs.get("api_key") or "none"))}
        return kwargs

    def _normalizing_client(self, api_base: str, api_key: str) -> openai.AsyncOpenAI:
        # One client (and connection pool) per upstream, reused across requests.
        key = (api_base, api_key)
        if key not in self._clients:
            http_client = httpx.AsyncClient(transport=_StreamNormalizingTransport(), timeout=600)
            self._clients[key] = openai.AsyncOpenAI(api_key=api_key, base_url=api_base, http_client=http_client)
        return self._clients[key]


proxy_handler_instance = LlamaToolChoiceAdapter()
