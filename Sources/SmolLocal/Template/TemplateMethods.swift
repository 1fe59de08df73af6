/// The Python `str`, `dict` and `list` methods templates call (`content.strip()`, `tool.items()`).
///
/// jinja2's `ImmutableSandboxedEnvironment` refuses the mutating ones (`append`, `pop`, `update`, …);
/// they fail here with ``ChatTemplateError/Kind/security`` as well.
enum TemplateMethods {
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "replace", "upper",
        "lower", "title", "capitalize", "find", "rfind", "index", "count", "join", "isdigit", "isalpha", "isalnum",
        "isspace", "islower", "isupper", "removeprefix", "removesuffix", "swapcase", "format",
    ]
    static let dictMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    static let sequenceMethods: Set<String> = ["index", "count", "copy"]
    static let mutatingMethods: Set<String> = [
        "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update", "setdefault", "popitem",
    ]

    static func isMethod(_ name: String, of value: TemplateValue) -> Bool {
        switch value {
        case .string: return stringMethods.contains(name)
        case .dict: return dictMethods.contains(name) || mutatingMethods.contains(name)
        case .list: return sequenceMethods.contains(name) || mutatingMethods.contains(name)
        case .tuple: return sequenceMethods.contains(name) && name != "copy"
        default: return false
        }
    }

    static func call(_ name: String, on receiver: TemplateValue, _ arguments: [TemplateValue],
                     _ keywords: [(String, TemplateValue)], maxBytes: Int) throws(EvaluationFailure) -> TemplateValue
    {
        if mutatingMethods.contains(name) {
            throw EvaluationFailure(.security, "access to attribute '\(name)' of '\(receiver.typeName)' object is unsafe.")
        }
        var parameters = ParameterReader(function: name, arguments, keywords)
        switch receiver {
        case .string(let text): return try callString(name, text, &parameters, maxBytes: maxBytes)
        case .dict(let dict):
            switch name {
            case "items": try parameters.finish(); return .list(dict.itemTuples)
            case "keys": try parameters.finish(); return .list(dict.keys)
            case "values": try parameters.finish(); return .list(dict.values)
            case "copy": try parameters.finish(); return receiver
            default:
                let key = try parameters.required("key")
                let fallback = parameters.optional("default") ?? .none
                try parameters.finish()
                guard TemplateDict.isHashable(key) else { throw EvaluationFailure(.type, "unhashable type: '\(key.typeName)'") }
                return dict[key] ?? fallback
            }
        case .list(let elements), .tuple(let elements):
            if name == "copy" { return receiver }
            let needle = try parameters.required("value")
            try parameters.finish()
            if name == "count" { return .int(elements.filter { TemplateOperators.equals($0, needle) }.count) }
            guard let position = elements.firstIndex(where: { TemplateOperators.equals($0, needle) }) else {
                throw EvaluationFailure(.type, "value is not in \(receiver.typeName)")
            }
            return .int(position)
        default:
            throw EvaluationFailure(.type, "'\(receiver.typeName)' object has no attribute '\(name)'")
        }
    }

    private static func stripSet(_ value: TemplateValue?) throws(EvaluationFailure) -> Set<Unicode.Scalar>? {
        guard let value, !value.isNone else { return nil }
        guard case .string(let characters) = value else {
            throw EvaluationFailure(.type, "strip arg must be None or str")
        }
        return Set(characters.unicodeScalars)
    }

    static func strip(_ text: String, _ characters: Set<Unicode.Scalar>?, leading: Bool, trailing: Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        func removable(_ scalar: Unicode.Scalar) -> Bool {
            characters.map { $0.contains(scalar) } ?? isPythonWhitespace(scalar)
        }
        var start = 0, end = scalars.count
        if leading { while start < end, removable(scalars[start]) { start += 1 } }
        if trailing { while end > start, removable(scalars[end - 1]) { end -= 1 } }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start..<end])
        return String(out)
    }

    private static func string(_ value: TemplateValue, _ role: String) throws(EvaluationFailure) -> String {
        guard case .string(let text) = value else {
            throw EvaluationFailure(.type, "\(role) must be str, not \(value.typeName)")
        }
        return text
    }

    private static func callString(_ name: String, _ text: String, _ parameters: inout ParameterReader, maxBytes: Int)
        throws(EvaluationFailure) -> TemplateValue
    {
        switch name {
        case "strip", "lstrip", "rstrip":
            let characters = try stripSet(parameters.optional("chars"))
            try parameters.finish()
            return .string(strip(text, characters, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let separator = parameters.optional("sep") ?? .none
            let maxSplit = parameters.optional("maxsplit")?.integerValue ?? -1
            try parameters.finish()
            let pieces: [String]
            if separator.isNone {
                pieces = TemplateText.splitWhitespace(text, maxSplit: maxSplit, fromEnd: name == "rsplit")
            } else {
                let separatorText = try string(separator, "separator")
                guard !separatorText.isEmpty else { throw EvaluationFailure(.type, "empty separator") }
                pieces = TemplateText.split(text, on: separatorText, maxSplit: maxSplit, fromEnd: name == "rsplit")
            }
            return .list(pieces.map { .string($0) })
        case "splitlines":
            try parameters.finish()
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return .list(lines.map { .string($0) })
        case "startswith", "endswith":
            let candidate = try parameters.required("prefix")
            try parameters.finish()
            let options: [TemplateValue]
            if case .tuple(let elements) = candidate { options = elements } else { options = [candidate] }
            for option in options {
                let affix = try string(option, "\(name) first arg")
                let matches = name == "startswith"
                    ? text.utf8.starts(with: affix.utf8) : text.utf8.reversed().starts(with: affix.utf8.reversed())
                if matches { return .bool(true) }
            }
            return .bool(false)
        case "replace":
            let old = try string(try parameters.required("old"), "replace() argument 1")
            let new = try string(try parameters.required("new"), "replace() argument 2")
            let count = parameters.optional("count")?.integerValue ?? -1
            try parameters.finish()
            return .string(try TemplateText.replace(text, old, new, count: count, maxBytes: maxBytes))
        case "upper": try parameters.finish(); return .string(text.uppercased())
        case "lower": try parameters.finish(); return .string(text.lowercased())
        case "swapcase":
            try parameters.finish()
            return .string(String(text.map { $0.isUppercase ? Character($0.lowercased()) : $0.isLowercase ? Character($0.uppercased()) : $0 }))
        case "title": try parameters.finish(); return .string(TemplateText.pythonTitle(text))
        case "capitalize": try parameters.finish(); return .string(TemplateText.capitalize(text))
        case "find", "rfind", "index", "count":
            let part = try string(try parameters.required("sub"), "must be str")
            try parameters.finish()
            let scalars = Array(text.unicodeScalars), needle = Array(part.unicodeScalars)
            var positions: [Int] = []
            var cursor = 0
            while cursor + needle.count <= scalars.count {
                if scalars[cursor..<cursor + needle.count].elementsEqual(needle) {
                    positions.append(cursor)
                    cursor += max(needle.count, 1)
                    if name == "find" || name == "index" { break }
                } else {
                    cursor += 1
                }
            }
            if name == "count" { return .int(needle.isEmpty ? scalars.count + 1 : positions.count) }
            let found = name == "rfind" ? positions.last : positions.first
            if name == "index", found == nil { throw EvaluationFailure(.type, "substring not found") }
            return .int(found ?? -1)
        case "join":
            let iterable = try parameters.required("iterable")
            try parameters.finish()
            let elements: [TemplateValue]
            switch iterable {
            case .list(let items), .tuple(let items): elements = items
            case .string(let chars): elements = chars.unicodeScalars.map { .string(String($0)) }
            case .dict(let dict): elements = dict.keys
            default: throw EvaluationFailure(.type, "can only join an iterable")
            }
            var parts: [String] = []
            var bytes = 0
            for element in elements {
                parts.append(try string(element, "sequence item"))
                // Sized before joining: a long separator between many parts can be far larger than the input.
                bytes += parts[parts.count - 1].utf8.count + (parts.count > 1 ? text.utf8.count : 0)
                try TemplateText.checkSize(bytes, maxBytes)
            }
            return .string(parts.joined(separator: text))
        case "removeprefix", "removesuffix":
            let affix = try string(try parameters.required("prefix"), "argument")
            try parameters.finish()
            if name == "removeprefix", text.utf8.starts(with: affix.utf8) {
                return .string(String(decoding: text.utf8.dropFirst(affix.utf8.count), as: UTF8.self))
            }
            if name == "removesuffix", !affix.isEmpty, text.utf8.reversed().starts(with: affix.utf8.reversed()) {
                return .string(String(decoding: text.utf8.dropLast(affix.utf8.count), as: UTF8.self))
            }
            return .string(text)
        default:
            try parameters.finish()
            let scalars = text.unicodeScalars
            guard !scalars.isEmpty else { return .bool(false) }
            switch name {
            case "isdigit": return .bool(scalars.allSatisfy { $0.properties.numericType != nil })
            case "isalpha": return .bool(scalars.allSatisfy { $0.properties.isAlphabetic })
            case "isalnum": return .bool(scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            case "isspace": return .bool(scalars.allSatisfy(isPythonWhitespace))
            case "islower": return .bool(text == text.lowercased() && text != text.uppercased())
            default: return .bool(text == text.uppercased() && text != text.lowercased())
            }
        }
    }
}

/// Reads Python-style arguments: positionals in order, then by keyword.
struct ParameterReader {
    let function: String
    var positional: [TemplateValue]
    var keywords: [(String, TemplateValue)]
    var position = 0

    init(function: String, _ positional: [TemplateValue], _ keywords: [(String, TemplateValue)]) {
        self.function = function
        self.positional = positional
        self.keywords = keywords
    }

    mutating func optional(_ name: String) -> TemplateValue? {
        if position < positional.count {
            position += 1
            return positional[position - 1]
        }
        if let index = keywords.firstIndex(where: { $0.0 == name }) {
            return keywords.remove(at: index).1
        }
        return nil
    }

    mutating func required(_ name: String) throws(EvaluationFailure) -> TemplateValue {
        guard let value = optional(name) else {
            throw EvaluationFailure(.type, "\(function)() missing required argument '\(name)'")
        }
        return value
    }

    func finish() throws(EvaluationFailure) {
        if position < positional.count {
            throw EvaluationFailure(.type, "\(function)() got too many positional arguments")
        }
        if let extra = keywords.first {
            throw EvaluationFailure(.type, "\(function)() got an unexpected keyword argument '\(extra.0)'")
        }
    }
}
