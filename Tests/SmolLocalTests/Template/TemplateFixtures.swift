import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// The fixtures written by scripts/fixtures/make_template_vectors.py from transformers + jinja2.
enum TemplateFixtures {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var directory: URL {
        get throws {
            guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw Failure(description: "the test bundle has no Fixtures folder")
            }
            return root.appendingPathComponent("Template")
        }
    }

    static func json(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: try directory.appendingPathComponent(name))
        return try JSONValue(parsing: data)
    }

    static func template(named model: String) throws -> String {
        let url = try directory.appendingPathComponent("templates").appendingPathComponent(model + ".jinja")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The instant transformers' `strftime_now` was pinned to: 2024-09-05 14:03:07.123456 (naive, shown as UTC here).
    static let clock: TemplateClock = {
        var components = DateComponents()
        (components.year, components.month, components.day) = (2024, 9, 5)
        (components.hour, components.minute, components.second) = (14, 3, 7)
        components.nanosecond = 123_456_000
        var calendar = Calendar(identifier: .gregorian)
        let utc = TimeZone(identifier: "UTC")!
        calendar.timeZone = utc
        return .fixed(calendar.date(from: components)!, timeZone: utc)
    }()

    /// An error jinja2 raised, as recorded.
    struct ExpectedError: Sendable {
        let type: String
        let message: String
        let line: Int?

        init?(_ value: JSONValue?) {
            guard let value, let type = value["type"]?.stringValue, let message = value["message"]?.stringValue else {
                return nil
            }
            self.type = type
            self.message = message
            self.line = value["line"]?.intValue
        }

        /// The Swift error kind for the Python exception type.
        var kind: ChatTemplateError.Kind? {
            switch type {
            case "UndefinedError": return .undefined
            case "TemplateError": return .raised
            case "TemplateSyntaxError", "TemplateAssertionError": return .syntax
            case "TemplateRuntimeError": return .unsupported
            case "SecurityError": return .security
            case "TypeError", "ValueError", "ZeroDivisionError", "AttributeError", "FilterArgumentError": return .type
            case "OverflowError": return .limitExceeded(.collectionLength)
            default: return nil
            }
        }

        /// Whether the Swift message must equal jinja2's word for word (syntax errors only need the line).
        var messageMustMatch: Bool { type != "TemplateSyntaxError" && type != "OverflowError" }

        func check(_ error: ChatTemplateError, _ label: String) {
            #expect(error.kind == kind, "\(label): kind \(error.kind), jinja2 raised \(type): \(message)")
            if messageMustMatch {
                #expect(error.message == message, "\(label): message")
            }
            if let line {
                #expect(error.line == line, "\(label): line (\(error))")
            }
        }
    }
}
