import Foundation
import SmolTestSupport
import Testing

extension FuzzMutator {
    /// ``FuzzMutator/run(_:in:tokens:seconds:slowLimit:maxInputs:_:)`` over this bundle's `Fixtures/fuzz/<name>`.
    static func run(_ name: String, tokens: [String] = [], seconds: Double = 3, slowLimit: Duration = .seconds(1),
                    _ body: ([UInt8]) -> Bool) throws -> Report {
        try run(name, in: try FixturePaths.fixture("fuzz/" + name), tokens: tokens, seconds: seconds, slowLimit: slowLimit,
                body)
    }
}
