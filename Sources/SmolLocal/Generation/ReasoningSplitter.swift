import Foundation
import Synchronization

/// Separates a model's `<think>…</think>` reasoning (Qwen3, SmolLM3, DeepSeek-R1 distills) from its answer,
/// as text streams in: reasoning goes to `reasoningContent`, the rest to `content`.
///
/// The reasoning block counts only at the start of the output (after whitespace), or from the very first
/// token when the prompt itself ends inside an open `<think>` (templates that start the block for the
/// model). A tag split across tokens is held back until it is complete, so neither tag ever reaches the
/// caller. Reasoning cut off by the token limit stays reasoning; the whitespace the model writes after
/// `</think>` is dropped from the answer.
struct ReasoningSplitter {
    enum Phase { case start, thinking, answerStart, answer }

    static let open = "<think>"
    static let close = "</think>"

    private(set) var phase: Phase
    /// Whether a reasoning block was opened (by the output or by the prompt).
    private(set) var sawReasoning = false
    private var pending = ""

    /// Whether a checkpoint's template uses reasoning blocks at all (no splitting otherwise).
    static func applies(toTemplate template: String?) -> Bool {
        template?.contains(open) == true || template?.contains(close) == true
    }

    /// - Parameter prompt: the rendered prompt; one that ends in an open `<think>` starts in reasoning.
    init(prompt: String) {
        let tail = prompt.reversed().drop { $0.isWhitespace }
        let trimmed = String(tail.reversed())
        if let openRange = trimmed.range(of: Self.open, options: .backwards), trimmed[openRange.upperBound...].isEmpty {
            phase = .thinking
            sawReasoning = true
        } else {
            phase = .start
        }
    }

    /// Feeds decoded text; returns what is now known to be reasoning and what is answer.
    mutating func feed(_ text: String) -> (reasoning: String, content: String) {
        pending += text
        var reasoning = "", content = ""
        while true {
            switch phase {
            case .start:
                let body = pending.drop { $0.isWhitespace }
                if body.hasPrefix(Self.open) {
                    pending = String(body.dropFirst(Self.open.count))
                    phase = .thinking
                    sawReasoning = true
                } else if body.isEmpty || Self.open.hasPrefix(body) {
                    return (reasoning, content)  // not yet decidable
                } else {
                    phase = .answer
                }
            case .thinking:
                if let range = pending.range(of: Self.close) {
                    reasoning += pending[..<range.lowerBound]
                    pending = String(pending[range.upperBound...])
                    phase = .answerStart
                } else {
                    let keep = Self.heldBack(pending, before: Self.close)
                    reasoning += pending.dropLast(keep)
                    pending = String(pending.suffix(keep))
                    return (reasoning, content)
                }
            case .answerStart:
                let body = pending.drop { $0.isWhitespace }
                if body.isEmpty {
                    pending = ""
                    return (reasoning, content)
                }
                pending = String(body)
                phase = .answer
            case .answer:
                content += pending
                pending = ""
                return (reasoning, content)
            }
        }
    }

    /// The text still held back at the end of generation (an incomplete tag is plain text after all).
    mutating func finish() -> (reasoning: String, content: String) {
        defer { pending = "" }
        switch phase {
        case .thinking: return (pending, "")
        case .start, .answer: return ("", pending)
        case .answerStart: return ("", "")
        }
    }

    /// Splits a whole output at once; the reasoning is trimmed, and nil when there was none.
    static func split(_ text: String, prompt: String) -> (reasoning: String?, content: String) {
        var splitter = ReasoningSplitter(prompt: prompt)
        let a = splitter.feed(text), b = splitter.finish()
        let reasoning = (a.reasoning + b.reasoning).trimmingCharacters(in: .whitespacesAndNewlines)
        return (splitter.sawReasoning && !reasoning.isEmpty ? reasoning : nil, a.content + b.content)
    }

    /// The length of the longest suffix of `text` that is a proper prefix of `tag` (it may become the tag).
    private static func heldBack(_ text: String, before tag: String) -> Int {
        var n = min(text.count, tag.count - 1)
        while n > 0 {
            if tag.hasPrefix(text.suffix(n)) { return n }
            n -= 1
        }
        return 0
    }
}

/// A ``ReasoningSplitter`` shared with the generator's `@Sendable` event transform (called from one
/// thread at a time, but the compiler cannot know that, so a lock keeps it honest).
final class ReasoningStream: Sendable {
    private let splitter: Mutex<ReasoningSplitter>

    init(prompt: String) { splitter = Mutex(ReasoningSplitter(prompt: prompt)) }

    func feed(_ text: String) -> (reasoning: String, content: String) { splitter.withLock { $0.feed(text) } }

    func finish() -> (reasoning: String, content: String) { splitter.withLock { $0.finish() } }
}
