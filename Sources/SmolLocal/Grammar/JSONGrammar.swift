/// A JSON schema compiled into a table of nodes that ``JSONRecognizer`` walks byte by byte.
///
/// Every node describes one JSON value. The table is flat (indices, not references) so that the
/// recognizer's state is a small stack of plain ``GrammarFrame`` values: cheap to copy, hash and compare,
/// which the token-mask cache relies on. Immutable once built, hence `Sendable`.
final class JSONGrammar: Sendable {
    let nodes: [GrammarNode]
    /// Declared object properties, each node's run contiguous (`GrammarNode.first` / `.count`).
    let properties: [GrammarProperty]
    /// For an object node, `count + 1` masks: the properties that may come next after property `i - 1`
    /// (entry 0: at the start), in declaration order, stopping at the first required one.
    let candidates: [UInt64]
    /// Byte strings of literal sets (`enum`, `const`, booleans, null), each node's run sorted bytewise.
    let literals: [[UInt8]]
    /// For a union node, 256 entries from `first`: the alternative a value starting with that byte takes.
    let dispatch: [Int32]
    /// For a tagged union, the object node chosen by each literal of its tag's literal set (from `first`).
    let tagTargets: [Int32]
    /// The document's value.
    let root: Int32
    /// Bytes written before and after the value (a chat template's tool-call tags), matched exactly.
    let prefix: [UInt8]
    let suffix: [UInt8]
    /// The deepest stack a document can need (document frame included).
    let maxDepth: Int
    /// Identifies what was compiled (the mask cache is kept per grammar).
    let key: String
    /// The fewest bytes of a complete value of each node.
    let minimumLengths: [Int]
    /// For an object node (offset `second`, like `candidates`): the fewest bytes that must still follow
    /// once property `i - 1` is written (entry 0: nothing written yet, no leading comma), `}` included.
    let remainders: [Int]

    init(nodes: [GrammarNode], properties: [GrammarProperty], candidates: [UInt64], literals: [[UInt8]],
         dispatch: [Int32], tagTargets: [Int32], root: Int32, prefix: [UInt8], suffix: [UInt8], key: String) {
        self.nodes = nodes
        self.properties = properties
        self.candidates = candidates
        self.literals = literals
        self.dispatch = dispatch
        self.tagTargets = tagTargets
        self.root = root
        self.prefix = prefix
        self.suffix = suffix
        self.key = key
        var memo = [Int](repeating: -1, count: nodes.count)
        func depth(_ n: Int32) -> Int {
            let i = Int(n)
            if memo[i] >= 0 { return memo[i] }
            memo[i] = 1  // the compiler never builds cycles; this only guards against one
            let node = nodes[i]
            var below = 0
            switch node.kind {
            case .object:
                for p in 0..<Int(node.count) { below = max(below, depth(properties[Int(node.first) + p].value)) }
            case .map:
                below = max(depth(node.first), depth(node.second))
            case .array:
                below = depth(node.first)
            case .union:
                for b in 0..<256 where dispatch[Int(node.first) + b] >= 0 {
                    below = max(below, depth(dispatch[Int(node.first) + b]) - 1)
                }
            case .tagged:
                below = depth(node.second)
                for t in 0..<Int(node.count) { below = max(below, depth(tagTargets[Int(node.first) + t]) - 1) }
            case .string, .number, .integer, .literals:
                break
            }
            memo[i] = 1 + below
            return memo[i]
        }
        maxDepth = 1 + depth(root)
        (minimumLengths, remainders) = Self.lengths(nodes: nodes, properties: properties, candidates: candidates,
                                                    literals: literals, dispatch: dispatch, tagTargets: tagTargets)
    }

    private static func lengths(nodes: [GrammarNode], properties: [GrammarProperty], candidates: [UInt64],
                                literals: [[UInt8]], dispatch: [Int32], tagTargets: [Int32]) -> ([Int], [Int]) {
        var memo = [Int](repeating: -1, count: nodes.count)
        var remainders = [Int](repeating: 0, count: candidates.count)
        func digits(_ v: Int64) -> Int { String(v).count }
        func length(_ n: Int32) -> Int {
            let i = Int(n)
            if memo[i] >= 0 { return memo[i] }
            memo[i] = 1
            let node = nodes[i]
            var result: Int
            switch node.kind {
            case .object:
                let count = Int(node.count)
                var sums = [Int](repeating: 1, count: count + 1)  // "}"
                var j = count - 1
                var required = 0
                while j >= 0 {
                    sums[j] = sums[j + 1]
                    if node.requiredMask & (1 << UInt64(j)) != 0 {
                        let p = properties[Int(node.first) + j]
                        sums[j] += 1 + p.key.count + 1 + length(p.value)
                        required += 1
                    }
                    j -= 1
                }
                // sums[j]: with a comma before each required property from j on.
                for after in 0...count { remainders[Int(node.second) + after] = sums[after] }
                remainders[Int(node.second)] = sums[0] - (required > 0 ? 1 : 0)
                result = 1 + remainders[Int(node.second)]
            case .map: result = 2
            case .array:
                let items = Int(node.minimum)
                result = 2 + (items > 0 ? items * length(node.first) + items - 1 : 0)
            case .string:
                switch node.format {
                case .none: result = 2 + Int(node.minimum)
                case .date: result = 12
                case .time: result = 11
                case .dateTime: result = 22
                case .uuid: result = 38
                case .email: result = 7
                }
            case .number, .integer:
                if node.minimum <= 0 && node.maximum >= 0 { result = 1 }
                else if node.minimum > 0 { result = digits(node.minimum) }
                else { result = 1 + digits(-node.maximum) }
            case .literals:
                result = literals[Int(node.first)..<Int(node.first + node.count)].map(\.count).min() ?? 1
            case .union:
                result = Int.max
                for b in 0..<256 where dispatch[Int(node.first) + b] >= 0 {
                    result = min(result, length(dispatch[Int(node.first) + b]))
                }
            case .tagged:
                result = Int.max
                for t in 0..<Int(node.count) { result = min(result, length(tagTargets[Int(node.first) + t])) }
            }
            memo[i] = result
            return result
        }
        for n in nodes.indices { _ = length(Int32(n)) }
        return (memo, remainders)
    }
}

/// One JSON value's rule.
struct GrammarNode: Sendable, Hashable {
    enum Kind: UInt8, Sendable {
        /// Declared properties in declaration order (`first`/`count` into `properties`, `second`: first
        /// candidates entry), no others.
        case object
        /// Free keys (`first`: the key's string node) with values of one schema (`second`).
        case map
        /// Items of one schema (`first`), `minimum`…`maximum` of them.
        case array
        /// A string of `minimum`…`maximum` code points, or of a `format`.
        case string
        /// A number without exponent whose integer part lies in `minimum`…`maximum`; a fraction only where
        /// every value `n.ddd` stays within `lowerBound`…`upperBound`.
        case number
        /// An integer in `minimum`…`maximum`.
        case integer
        /// One of the byte strings `first`…`first + count` of `literals`.
        case literals
        /// Alternatives told apart by their first byte (`first`: offset of 256 entries in `dispatch`).
        case union
        /// Object alternatives told apart by a const first property: `second` is the tag's literal node,
        /// `first`/`count` index `tagTargets` (one object node per tag literal).
        case tagged
    }

    var kind: Kind
    var first: Int32 = 0
    var second: Int32 = 0
    var count: Int32 = 0
    var minimum: Int64 = 0
    var maximum: Int64 = .max
    var lowerBound: Double = -.infinity
    var upperBound: Double = .infinity
    var format: StringFormat = .none
    /// Object: bit `i` set when property `i` is required.
    var requiredMask: UInt64 = 0

    /// The largest counter value a frame of this node must tell apart (items, code points).
    var counterCap: Int32 {
        let limit = maximum == .max ? minimum : maximum
        return Int32(clamping: limit)
    }
}

/// A declared object property: its key as written in JSON (quotes included) and its value's node.
struct GrammarProperty: Sendable, Hashable {
    var key: [UInt8]
    var value: Int32
}

/// One level of the recognizer's stack: which node, where in it, and a few counters.
///
/// The meaning of the fields depends on the node kind (see ``JSONRecognizer``). Plain data, 24 bytes, so
/// that a state is cheap to copy and compare.
struct GrammarFrame: Sendable, Hashable {
    var node: Int32
    var phase: UInt8 = 0
    var flags: UInt8 = 0
    var small: UInt16 = 0
    var count: Int32 = 0
    var extra: Int32 = 0
    var bits: UInt64 = 0
}
