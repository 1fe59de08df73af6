import Foundation
import SmolTestSupport
import Testing

extension FuzzMutator {
    /// ``FuzzMutator/run(_:in:tokens:seconds:slowLimit:maxInputs:_:)`` over this bundle's `Fixtures/fuzz/<name>`.
    static func run(_ name: String, tokens: [String] = [], seconds: Double = 3, slowLimit: Duration = .seconds(1),
                    _ body: ([UInt8]) -> Bool) throws -> Report {
        let folder = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/fuzz/" + name).path,
                                  "Fixtures missing from the test bundle")
        return try run(name, in: folder, tokens: tokens, seconds: seconds, slowLimit: slowLimit, body)
    }
}
