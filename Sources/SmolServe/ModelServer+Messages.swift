import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SmolCore

extension ModelServer {
    /// `POST /v1/messages`: Anthropic's Messages API in front of the same models.
    func messages(_ request: Request) async throws(ServeError) -> Response {
        let parsed = try MessagesRequest(json: try await body(request), maxTokensCap: configuration.maxTokensCap)
        let model = try self.model(named: parsed.model)
        let id = MessagesRequest.newID()
        let gate = try await admit(parsed.model)
        logPrompt(id: id, parsed.messages)
        if parsed.stream { return streamMessages(parsed, model: model, id: id, gate: gate) }
        let started = ContinuousClock.now
        defer { Task { await gate.leave() } }
        do {
            let message = try await model.generate(parsed.messages, options: parsed.options)
            log(id: id, model: parsed.model, status: 200, usage: message.tokenUsage, since: started)
            return Self.json(MessagesRequest.response(message, id: id, model: parsed.model), status: .ok)
        } catch let error as ModelError {
            let answer = ServeError(modelError: error)
            log(id: id, model: parsed.model, status: answer.status, usage: nil, since: started)
            throw answer
        } catch {
            throw ServeError(status: 500, message: "\(error)", type: "server_error")
        }
    }

    /// Anthropic's event order: message_start, then per block content_block_start / _delta… / _stop (text
    /// first, then each tool_use with its input as one input_json_delta), message_delta with the stop reason
    /// and usage, message_stop. With tools, text is held until it is known not to be a call.
    private func streamMessages(_ parsed: MessagesRequest, model: any Model, id: String, gate: AdmissionGate) -> Response {
        let name = parsed.model, holdText = !(parsed.options.tools ?? []).isEmpty
        let deltas = model.generateStream(parsed.messages, options: parsed.options)
        let logger = self.logger, metrics = self.metrics
        let body = ResponseBody { writer in
            func send(_ event: String, _ data: JSONValue) async throws {
                try await writer.write(ByteBuffer(string: "event: \(event)\ndata: " + JSONEmitter().string(from: data) + "\n\n"))
            }
            let started = ContinuousClock.now
            var usage: TokenUsage?, finish: String?, held = "", textOpen = false, blocks = 0
            var calls: [Int: (id: String, name: String, arguments: String)] = [:]
            var firstToken: Duration?, status = 200
            defer {
                metrics.request(model: name, status: status, usage: usage, firstToken: firstToken, total: ContinuousClock.now - started)
                Task { await gate.leave() }
            }
            func openText() async throws {
                guard !textOpen else { return }
                textOpen = true
                try await send("content_block_start", ["type": "content_block_start", "index": .int(blocks),
                                                       "content_block": ["type": "text", "text": ""]])
            }
            func text(_ piece: String) async throws {
                try await openText()
                try await send("content_block_delta", ["type": "content_block_delta", "index": .int(blocks),
                                                       "delta": ["type": "text_delta", "text": .string(piece)]])
            }
            do {
                try await send("message_start", ["type": "message_start", "message": [
                    "id": .string(id), "type": "message", "role": "assistant", "model": .string(name), "content": [],
                    "stop_reason": .null, "stop_sequence": .null, "usage": ["input_tokens": 0, "output_tokens": 0]]])
                for try await delta in deltas {
                    if let u = delta.tokenUsage { usage = u }
                    if let f = delta.finishReason { finish = f }
                    for (offset, call) in (delta.toolCalls ?? []).enumerated() {
                        var entry = calls[call.index ?? offset] ?? ("", "", "")
                        if let value = call.id { entry.id = value }
                        if let value = call.function?.name { entry.name += value }
                        if let value = call.function?.arguments { entry.arguments += value }
                        calls[call.index ?? offset] = entry
                    }
                    guard let piece = delta.content, !piece.isEmpty else { continue }
                    if firstToken == nil { firstToken = ContinuousClock.now - started }
                    if holdText { held += piece } else { try await text(piece) }
                }
                if calls.isEmpty, !held.isEmpty { try await text(held) }
                if textOpen {
                    try await send("content_block_stop", ["type": "content_block_stop", "index": .int(blocks)])
                    blocks += 1
                }
                for (_, call) in calls.sorted(by: { $0.key < $1.key }) {
                    try await send("content_block_start", ["type": "content_block_start", "index": .int(blocks), "content_block": [
                        "type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": [:]]])
                    try await send("content_block_delta", ["type": "content_block_delta", "index": .int(blocks),
                                                           "delta": ["type": "input_json_delta", "partial_json": .string(call.arguments)]])
                    try await send("content_block_stop", ["type": "content_block_stop", "index": .int(blocks)])
                    blocks += 1
                }
                let stop = MessagesRequest.stopReason(finish, hasCalls: !calls.isEmpty)
                try await send("message_delta", ["type": "message_delta",
                                                 "delta": ["stop_reason": .string(stop), "stop_sequence": .null],
                                                 "usage": ["input_tokens": .int(usage?.inputTokens ?? 0),
                                                           "output_tokens": .int(usage?.outputTokens ?? 0)]])
                try await send("message_stop", ["type": "message_stop"])
                logger.info("request", metadata: Self.metadata(id: id, model: name, status: 200, usage: usage, since: started))
            } catch let error as ModelError {
                let answer = ServeError(modelError: error)
                status = answer.status
                try? await send("error", answer.anthropicJSON)
                logger.info("request", metadata: Self.metadata(id: id, model: name, status: answer.status, usage: usage, since: started))
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: body)
    }
}
