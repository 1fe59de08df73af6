import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Templates that stay inside every per-thing limit but do exponential or quadratic work must still end
/// quickly, stopped by the single work budget of a render.
@Suite("The work budget stops exponential and quadratic templates")
struct TemplateWorkLimitTests {
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

    /// How long rendering `source` takes when it succeeds.
    func timing(_ source: String, limits: TemplateLimits) throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        _ = try ChatTemplate(source: source, limits: limits).render(context: [:])
        return clock.now - start
    }

    static let doubling = """
        {% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}
        {{ f(DEPTH) }}
        """

    @Test("a macro that calls itself twice per level, 40 levels deep, stops at the work limit within seconds")
    func exponentialMacro() throws {
        let (error, elapsed) = try failure(Self.doubling.replacingOccurrences(of: "DEPTH", with: "40"))
        #expect(error.kind == .limitExceeded(.work))
        #expect(error.message.contains("steps of work"))
        #expect(error.line == 1)
        print("doubling macro, 40 levels: work limit after \(elapsed)")
        // About a second on a quiet machine; the bound leaves room for a loaded one (other suites, builds).
        #expect(elapsed < .seconds(5))
        // Without the budget each level doubles the time: measure a depth that finishes and extrapolate.
        let unbounded = TemplateLimits(maxWork: .max)
        let small = try timing(Self.doubling.replacingOccurrences(of: "DEPTH", with: "16"), limits: unbounded)
        print("doubling macro, 16 levels, no work limit: \(small) (so 40 levels would take about \(small * (1 << 24)))")
    }

    @Test("100,000 iterations that each build a 100,000-element range stop at the work limit")
    func quadraticRanges() throws {
        let source = "{% for i in range(100000) %}{% set r = range(100000) %}{% endfor %}"
        let (error, elapsed) = try failure(source)
        #expect(error.kind == .limitExceeded(.work))
        print("100k × range(100k): work limit after \(elapsed)")
        #expect(elapsed < .seconds(3))
        let unbounded = TemplateLimits(maxWork: .max)
        let small = try timing("{% for i in range(200) %}{% set r = range(100000) %}{% endfor %}", limits: unbounded)
        print("200 × range(100k), no work limit: \(small) (so 100,000 iterations would take about \(small * 500))")
    }

    @Test("quadratic filters, comparisons and string searches are paid for")
    func quadraticOperations() throws {
        let sources = [
            // unique compares every key with every kept key
            "{% for i in range(100) %}{{ range(100000)|unique|length }}{% endfor %}",
            // comparing two large equal lists walks both, every iteration
            "{% set a = range(100000)|list %}{% set b = range(100000)|list %}{% for i in range(100000) %}{% if a == b %}{% endif %}{% endfor %}",
            // `in` on a large list
            "{% set a = range(100000)|list %}{% for i in range(100000) %}{% if -1 in a %}{% endif %}{% endfor %}",
            // searching a long string for a long needle
            "{% set s = 'a' * 1000000 %}{% set n = 'a' * 500000 ~ 'b' %}{% for i in range(1000) %}{{ s.find(n) }}{% endfor %}",
            // a captured block that copies a long string each iteration (captures restart the output count)
            "{% set s = 'x' * 1000000 %}{% for i in range(100000) %}{% set c %}{{ s }}{% endset %}{% endfor %}",
            // summing lists copies the running total each time
            "{{ ([[1, 2, 3]] * 100000)|sum(start=[])|length }}",
        ]
        for source in sources {
            let (error, elapsed) = try failure(source)
            #expect(error.kind == .limitExceeded(.work), "\(source): \(error)")
            #expect(elapsed < .seconds(3), "\(source)")
        }
    }

    @Test("replace with an empty needle, join with a long separator, indent and tojson with a huge indent are sized before they are built")
    func multiplyingStrings() throws {
        let sources = [
            "{{ ('x' * 1000000)|replace('', 'y' * 1000000) }}",
            "{{ ('x' * 1000000).replace('', 'y' * 1000000) }}",
            "{{ range(100000)|join('y' * 1000000) }}",
            "{{ ('y' * 1000000).join(range(100000)|map('string')|list) }}",
            "{{ ('\\n' * 1000000)|indent('p' * 1000, blank=true) }}",
            "{{ 1|tojson(indent=10 ** 15) }}",
            "{{ range(100000)|list|tojson(indent=1000) }}",
            "{{ range(100000)|list|tojson(separators=('x' * 1000, ': ')) }}",
            "{{ 'x'|indent(10 ** 15) }}",
            "{{ '%999999999999d' % 1 }}",
            "{{ '%.999999999999f' % 1.5 }}",
            "{% set s = 'y' * 1000000 %}{{ ('%s' * 20) % (" + Array(repeating: "s", count: 20).joined(separator: ", ") + ") }}",
        ]
        for source in sources {
            let (error, elapsed) = try failure(source)
            #expect(error.kind == .limitExceeded(.outputSize), "\(source): \(error)")
            #expect(elapsed < .seconds(3), "\(source)")
        }
    }

    @Test("padding sizes taken from the template are bounded: batch fill, a negative * precision")
    func paddingSizes() throws {
        let (error, elapsed) = try failure("{{ [1]|batch(10 ** 12, fill_with=0)|list }}")
        #expect(error.kind == .limitExceeded(.collectionLength))
        #expect(elapsed < .seconds(1))
        // Python treats a negative precision from `*` as 0 (`%.*f` of 1.5 is "2"); it used to trap in `prefix`.
        #expect(try ChatTemplate(source: "{{ '%.*s' % (-1, 'abc') }}|{{ '%.*f' % (-1, 1.5) }}").render(context: [:]) == "|2")
    }

    @Test("values that share their elements (x = [x, x], a namespace holding itself) are walked at a price")
    func sharedValues() throws {
        let doubling = "{% set ns = namespace(x=1) %}{% for i in range(60) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}"
        for tail in ["", "{{ ns.x }}", "{{ ns.x|tojson }}", "{{ [ns.x]|unique|list }}", "{{ [ns.x, ns.x]|sort }}",
                     "{{ ns.x.count(1) }}", "{{ ns.x == [1] }}"] {
            let (error, elapsed) = try failure(doubling + tail)
            #expect(error.kind == .limitExceeded(.work), "\(tail): \(error)")
            #expect(elapsed < .seconds(3), "\(tail)")
        }
        // Found by the fuzzer (Fixtures/fuzz/jinja/regress-namespace-holds-itself.jinja): printing a namespace
        // that holds itself recursed until the stack overflowed. Python prints the inner one as {...}.
        let selfHolding = "{% set ns = namespace(n=0) %}{% set ns.n = ns %}{{ ns.n }}|{{ [ns] }}"
        #expect(try ChatTemplate(source: selfHolding).render(context: [:])
            == "<Namespace {'n': <Namespace {...}>}>|[<Namespace {'n': <Namespace {...}>}>]")
        // Namespaces chained through each other nest as deep as there are namespaces; printing stops at the
        // runtime nesting bound instead of exhausting the stack.
        let chain = "{% set ns = namespace(a=0) %}{% for i in range(20000) %}{% set ns.a = namespace(a=ns.a) %}{% endfor %}{{ ns.a|string|length > 0 }}"
        #expect(try ChatTemplate(source: chain).render(context: [:]) == "True")
        // Namespaces are not checked for nesting when built, so they can share each other freely: printing
        // one stops once its text passes the output limit.
        let tree = "{% set ns = namespace(v=namespace()) %}{% for i in range(60) %}{% set ns.v = namespace(a=ns.v, b=ns.v) %}{% endfor %}{{ ns.v }}"
        let (error, elapsed) = try failure(tree)
        #expect(error.kind == .limitExceeded(.outputSize))
        #expect(elapsed < .seconds(3))
    }

    @Test("a small budget is reported with its own limit; the same template within budget renders")
    func configuredBudget() throws {
        let source = "{% for i in range(50) %}{{ i }}{% endfor %}"
        #expect(try ChatTemplate(source: source, limits: TemplateLimits(maxWork: 10_000)).render(context: [:]).hasPrefix("0123"))
        let (error, _) = try failure(source, limits: TemplateLimits(maxWork: 100))
        #expect(error.kind == .limitExceeded(.work))
    }

    @Test("real templates with thousands of tool-calling messages stay well inside the default budget")
    func realTemplatesFit() throws {
        let root = try TemplateFixtures.json("template-renders.json")
        let limits = TemplateLimits(maxWork: TemplateLimits.default.maxWork / 4)
        // SmolLM2's template has no tool support (it fails on a tool call, as in Python): plain turns for it.
        for (model, name) in [("SmolLM2-135M-Instruct", "multi_turn"), ("Qwen2.5-7B-Instruct", "tool_call"),
                              ("Llama-3.1-8B-Instruct", "tool_call"), ("SmolLM3-3B", "tool_call")] {
            let conversation = try #require(root["conversations"]?[name])
            let turns = conversation["messages"]?.arrayValue ?? []
            let tools = conversation["tools"]?.arrayValue
            // The conversation repeated to 2,000+ messages, keeping the system message first.
            var messages = Array(turns.prefix(1))
            while messages.count < 2_000 { messages += turns.dropFirst() }
            let template = try ChatTemplate(source: try TemplateFixtures.template(named: model), limits: limits)
            let output = try template.render(messages: messages, tools: tools, addGenerationPrompt: true)
            #expect(output.utf8.count > 2_000 * 20, "\(model)")
        }
    }
}
