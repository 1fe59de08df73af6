import Foundation
import SmolCore
import Testing

/// What a provider SDK's own parse of a reply (recorded in the golden fixtures as `sdk_message`, `sdk_response`,
/// `sdk_stream…`) says the answer is, put in ``ChatMessage`` terms, so the codec tests compare with the SDK rather
/// than with values copied into the test.
///
/// The only conventions added here are ours, documented in the codecs: ``TokenUsage/inputTokens`` has OpenAI's
/// meaning (cache reads and writes count as input), and a Gemini call without an id is named `call_<index>`.
struct SDKExpectation {
    struct Call: Equatable, CustomStringConvertible {
        var id: String
        var name: String
        var arguments: JSONValue
        var description: String { "\(id) \(name)(\(arguments))" }
    }

    var text: String?
    var reasoning: String?
    var calls: [Call]
    var usage: TokenUsage
    var finishReason: String?

    /// Expects `message` to be this answer: text, reasoning, tool calls (arguments compared as JSON), usage and
    /// finish reason.
    func check(_ message: ChatMessage, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message.text == text, comment, sourceLocation: sourceLocation)
        #expect(message.reasoningContent == reasoning, comment, sourceLocation: sourceLocation)
        let ours = (message.toolCalls ?? []).map {
            Call(id: $0.id, name: $0.function.name, arguments: parseJSONIfNeeded($0.function.arguments))
        }
        #expect(ours == calls, comment, sourceLocation: sourceLocation)
        #expect(message.tokenUsage == usage, comment, sourceLocation: sourceLocation)
        #expect(message.finishReason == finishReason, comment, sourceLocation: sourceLocation)
    }

    private static func joined(_ pieces: [String]) -> String? { pieces.isEmpty ? nil : pieces.joined() }

    /// From the anthropic SDK's `Message` (`messages.create`, or the stream's `get_final_message()`).
    static func anthropic(_ sdk: JSONValue) throws -> SDKExpectation {
        let blocks = try #require(sdk["content"]?.arrayValue, "the SDK message has content")
        let usage = try #require(sdk["usage"], "the SDK message has usage")
        let read = usage["cache_read_input_tokens"]?.intValue
        let write = usage["cache_creation_input_tokens"]?.intValue
        return SDKExpectation(
            text: joined(blocks.filter { $0["type"] == "text" }.compactMap { $0["text"]?.stringValue }),
            reasoning: joined(blocks.filter { $0["type"] == "thinking" }.compactMap { $0["thinking"]?.stringValue }),
            calls: try blocks.filter { $0["type"] == "tool_use" }.map { block in
                Call(id: try #require(block["id"]?.stringValue), name: try #require(block["name"]?.stringValue),
                     arguments: block["input"] ?? .object([:]))
            },
            usage: TokenUsage(inputTokens: try #require(usage["input_tokens"]?.intValue) + (read ?? 0) + (write ?? 0),
                              outputTokens: try #require(usage["output_tokens"]?.intValue),
                              cachedInputTokens: read, cacheWriteInputTokens: write),
            finishReason: sdk["stop_reason"]?.stringValue)
    }

    /// From the google-genai SDK's `GenerateContentResponse`s (one for `generate_content`, the chunks of
    /// `generate_content_stream`): texts and thoughts concatenated, calls in order, the last finish reason and usage.
    static func gemini(_ chunks: [JSONValue]) throws -> SDKExpectation {
        var texts: [String] = [], thoughts: [String] = [], calls: [Call] = []
        var finish: String?
        var usage: JSONValue?
        for chunk in chunks {
            let candidate = chunk["candidates"]?[0]
            for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
                if let text = part["text"]?.stringValue {
                    if part["thought"] == true { thoughts.append(text) } else { texts.append(text) }
                }
                if let call = part["function_call"] {
                    calls.append(Call(id: call["id"]?.stringValue ?? "call_\(calls.count)",
                                      name: try #require(call["name"]?.stringValue), arguments: call["args"] ?? .object([:])))
                }
            }
            if let reason = candidate?["finish_reason"]?.stringValue { finish = reason }
            if let metadata = chunk["usage_metadata"], !metadata.isNull { usage = metadata }
        }
        let metadata = try #require(usage, "the SDK's response has usage_metadata")
        let thinking = metadata["thoughts_token_count"]?.intValue
        return SDKExpectation(
            text: joined(texts), reasoning: joined(thoughts), calls: calls,
            usage: TokenUsage(inputTokens: try #require(metadata["prompt_token_count"]?.intValue),
                              outputTokens: (metadata["candidates_token_count"]?.intValue ?? 0) + (thinking ?? 0),
                              cachedInputTokens: metadata["cached_content_token_count"]?.intValue,
                              reasoningTokens: thinking),
            finishReason: finish)
    }

    /// From boto3's `converse` response, or the events `converse_stream` yielded.
    static func bedrock(_ sdk: JSONValue) throws -> SDKExpectation {
        var texts: [String] = [], reasoning: [String] = [], calls: [Call] = []
        var finish: String?
        var usage: JSONValue?
        if let events = sdk.arrayValue {
            var inputs: [Int: String] = [:]
            var started: [(index: Int, id: String, name: String)] = []
            for event in events {
                if let start = event["contentBlockStart"], let use = start["start"]?["toolUse"] {
                    started.append((try #require(start["contentBlockIndex"]?.intValue), try #require(use["toolUseId"]?.stringValue),
                                    try #require(use["name"]?.stringValue)))
                }
                if let delta = event["contentBlockDelta"] {
                    let index = try #require(delta["contentBlockIndex"]?.intValue)
                    if let text = delta["delta"]?["text"]?.stringValue { texts.append(text) }
                    if let text = delta["delta"]?["reasoningContent"]?["text"]?.stringValue { reasoning.append(text) }
                    if let input = delta["delta"]?["toolUse"]?["input"]?.stringValue { inputs[index, default: ""] += input }
                }
                if let reason = event["messageStop"]?["stopReason"]?.stringValue { finish = reason }
                if let metadata = event["metadata"]?["usage"] { usage = metadata }
            }
            calls = try started.map { call in
                let input = inputs[call.index] ?? ""
                return Call(id: call.id, name: call.name,
                            arguments: input.isEmpty ? .object([:]) : try JSONValue(parsing: input))
            }
        } else {
            for block in sdk["output"]?["message"]?["content"]?.arrayValue ?? [] {
                if let text = block["text"]?.stringValue { texts.append(text) }
                if let text = block["reasoningContent"]?["reasoningText"]?["text"]?.stringValue { reasoning.append(text) }
                if let use = block["toolUse"] {
                    calls.append(Call(id: try #require(use["toolUseId"]?.stringValue), name: try #require(use["name"]?.stringValue),
                                      arguments: use["input"] ?? .object([:])))
                }
            }
            finish = sdk["stopReason"]?.stringValue
            usage = sdk["usage"]
        }
        let counts = try #require(usage, "boto3's response has usage")
        let read = counts["cacheReadInputTokens"]?.intValue
        let write = counts["cacheWriteInputTokens"]?.intValue
        let expected = TokenUsage(inputTokens: try #require(counts["inputTokens"]?.intValue) + (read ?? 0) + (write ?? 0),
                                  outputTokens: try #require(counts["outputTokens"]?.intValue),
                                  cachedInputTokens: read, cacheWriteInputTokens: write)
        // With the cache counts added back, the total is Bedrock's own totalTokens.
        #expect(counts["totalTokens"]?.intValue.map { $0 == expected.totalTokens } ?? true,
                "Bedrock's totalTokens \(counts["totalTokens"] ?? .null) vs \(expected.totalTokens)")
        return SDKExpectation(text: joined(texts), reasoning: joined(reasoning), calls: calls, usage: expected,
                              finishReason: finish)
    }
}
