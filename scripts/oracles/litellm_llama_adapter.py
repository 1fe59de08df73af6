"""LiteLLM proxy callback used by servers.sh: lets forced tool calls reach llama-cpp-python.

Why this exists: the test proxy (LiteLLM) serves genuine Anthropic `/v1/messages` and Gemini
`generateContent` front-ends, translates each request to an OpenAI chat completion and sends it to
llama-cpp-python's server. A *forced* tool call arrives there as `tool_choice: "required"`:
LiteLLM's Gemini adapter maps `functionCallingConfig.mode: ANY` to "required" and drops
`allowedFunctionNames`, and Anthropic's `{"type": "any"}` becomes "required" as well.
llama-cpp-python (0.3.x, `--chat_format chatml-function-calling`) only accepts "auto", "none" or a
named function `{"type": "function", "function": {"name": ...}}` and answers "required" with HTTP 500.
`litellm_params.additional_drop_params` cannot help: dropping tool_choice would un-force the call.

What it does, and nothing else: just before LiteLLM sends a chat completion upstream, a
`tool_choice` of "required" or "any" with tools present becomes the named-function form that
llama-cpp-python grammar-forces. The function is, in this order:
  1. the only name in Gemini's `allowedFunctionNames` (read from the original request body that the
     proxy keeps in `proxy_server_request`), when exactly one is allowed and offered;
  2. the only tool, when exactly one is offered;
  3. otherwise the first allowed (or, with no allow-list, the first offered) tool. "Any of these
     tools" has no equivalent in llama-cpp-python, so with several tools this narrows the choice
     to the first one; callers that need a particular tool must offer it first or alone.
Every rewrite is logged on the proxy's log (stderr) so a test run shows when it happened.

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

import sys
from collections.abc import Mapping
from typing import Any

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


class LlamaToolChoiceAdapter(CustomLogger):
    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: object) -> dict[str, Any] | None:
        name = forced_function(kwargs)
        if name is None:
            return None
        print(
            f"litellm_llama_adapter: tool_choice {kwargs['tool_choice']!r} -> function {name!r} "
            f"({len(_tool_names(kwargs.get('tools')))} tool(s) offered)",
            file=sys.stderr,
            flush=True,
        )
        return {**kwargs, "tool_choice": {"type": "function", "function": {"name": name}}}


proxy_handler_instance = LlamaToolChoiceAdapter()
