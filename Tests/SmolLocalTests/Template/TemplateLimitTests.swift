import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Hostile templates end quickly with a typed error instead of hanging, crashing or eating memory.
@Suite("Template limits stop runaway templates")
struct TemplateLimitTests {
    /// Renders `source` and returns the error with the time it took to appear.
    func failure(_ source: String, limits: TemplateLimits = .default, context: [String: JSONValue] = [:])
        throws -> (ChatTemplateError, Duration)
    {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let template = try ChatTemplate(source: source, limits: limits)
            let output = try template.render(context: context)
            throw TemplateFixtures.Failure(description: "rendered \(output.utf8.count) bytes instead of failing")
        } catch let error as ChatTemplateError {
            return (error, clock.now - start)
        }
    }

    @Test("nested huge loops stop at the iteration limit within seconds")
    func nestedLoops() throws {
        let (error, elapsed) = try failure(
            "{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}{% endfor %}")
        #expect(error.kind == .limitExceeded(.loopIterations))
        #expect(error.line == 2)
        #expect(elapsed < .seconds(5))
    }

    @Test("a lower iteration limit applies to a single loop, counted over the whole render")
    func configuredIterationLimit() throws {
        let limits = TemplateLimits(maxLoopIterations: 10)
        let ok = try ChatTemplate(source: "{% for i in range(5) %}{{ i }}{% endfor %}{% for i in range(5) %}{{ i }}{% endfor %}", limits: limits)
        #expect(try ok.render(context: [:]) == "0123401234")
        let (error, _) = try failure("{% for i in range(6) %}{% endfor %}{% for i in range(5) %}{% endfor %}", limits: limits)
        #expect(error.kind == .limitExceeded(.loopIterations))
    }

    @Test("a range beyond the sandbox's MAX_RANGE is refused before any element is built")
    func hugeRange() throws {
        let (error, elapsed) = try failure("{{ range(10 ** 15)|length }}")
        #expect(error.kind == .limitExceeded(.collectionLength))
        #expect(elapsed < .seconds(1))
    }

    @Test("a macro calling itself forever stops at the call-depth limit")
    func infiniteRecursion() throws {
        let (error, elapsed) = try failure("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n\n{{ f(0) }}")
        #expect(error.kind == .limitExceeded(.callDepth))
        #expect(elapsed < .seconds(2))
    }

    @Test("mutual macro recursion stops too")
    func mutualRecursion() throws {
        let (error, _) = try failure("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}")
        #expect(error.kind == .limitExceeded(.callDepth))
    }

    @Test("output beyond the byte limit stops the render")
    func outputLimit() throws {
        let (error, elapsed) = try failure("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}")
        #expect(error.kind == .limitExceeded(.outputSize))
        #expect(elapsed < .seconds(5))
        let small = TemplateLimits(maxOutputBytes: 10)
        let (tooLong, _) = try failure("0123456789{{ 'a' }}", limits: small)
        #expect(tooLong.kind == .limitExceeded(.outputSize))
    }

    @Test("a string multiplied past the byte limit is refused before it is built")
    func stringRepetition() throws {
        let (error, elapsed) = try failure("{{ 'x' * 10 ** 15 }}")
        #expect(error.kind == .limitExceeded(.outputSize))
        #expect(elapsed < .seconds(1))
    }

    @Test("a string that doubles every iteration is stopped by the byte limit")
    func doublingString() throws {
        let (error, elapsed) = try failure(
            "{% set ns = namespace(s='x') %}{% for i in range(200) %}{% set ns.s = ns.s + ns.s %}{% endfor %}")
        #expect(error.kind == .limitExceeded(.outputSize))
        #expect(elapsed < .seconds(2))
    }

    @Test("a list multiplied past the element limit is refused")
    func listRepetition() throws {
        let (error, _) = try failure("{{ ([1] * 10 ** 12)|length }}")
        #expect(error.kind == .limitExceeded(.collectionLength))
    }

    @Test("deeply nested expressions are a nesting-limit error, not a stack overflow")
    func deepExpression() throws {
        let source = "{{ " + String(repeating: "(", count: 50_000) + "1" + String(repeating: ")", count: 50_000) + " }}"
        let (error, _) = try failure(source)
        #expect(error.kind == .limitExceeded(.nestingDepth))
        let blocks = String(repeating: "{% if true %}", count: 20_000) + String(repeating: "{% endif %}", count: 20_000)
        let (blockError, _) = try failure(blocks)
        #expect(blockError.kind == .limitExceeded(.nestingDepth))
    }

    @Test("a value wrapped in a list again and again is stopped at the nesting limit")
    func deepValue() throws {
        let (error, elapsed) = try failure(
            "{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}")
        #expect(error.kind == .limitExceeded(.nestingDepth))
        #expect(elapsed < .seconds(2))
    }

    @Test("deep templates and deep recursion end in typed errors on a task's small stack, never a crash")
    func stackSafety() async throws {
        let sources = [
            "{% macro f(n) %}{% for i in [1] %}{% if true %}{{ f(n + 1)|trim ~ (1 + (2 * (3 - (4 ~ 'x')|length))) }}{% endif %}{% endfor %}{% endmacro %}{{ f(0) }}",
            "{{ 1" + String(repeating: " + 1", count: 5000) + " }}",
            "{{ x" + String(repeating: "|trim", count: 5000) + " }}",
            "{{ x" + String(repeating: ".a", count: 5000) + " }}",
            "{% macro f(n) %}{{ " + String(repeating: "[", count: 90) + "f(n + 1)" + String(repeating: "]", count: 90) + " }}{% endmacro %}{{ f(0) }}",
            "{% macro f(n) %}" + String(repeating: "{% for i in [1] %}", count: 60) + "{{ f(n + 1) }}"
                + String(repeating: "{% endfor %}", count: 60) + "{% endmacro %}{{ f(0) }}",
        ]
        for source in sources {
            let kind = await Task.detached { () -> ChatTemplateError.Kind? in
                do throws(ChatTemplateError) {
                    _ = try ChatTemplate(source: source).render(context: ["x": "a"])
                    return nil
                } catch {
                    return error.kind
                }
            }.value
            #expect(kind == .limitExceeded(.nestingDepth) || kind == .limitExceeded(.callDepth), "\(source.prefix(60))")
        }
    }

    @Test("context data nested deeper than the limit is refused with the variable's name")
    func deepContext() throws {
        var value: JSONValue = 1
        for _ in 0..<300 { value = .array([value]) }
        let (error, _) = try failure("{{ deep }}", context: ["deep": value])
        #expect(error.kind == .limitExceeded(.nestingDepth))
        #expect(error.message.contains("'deep'"))
    }
}
