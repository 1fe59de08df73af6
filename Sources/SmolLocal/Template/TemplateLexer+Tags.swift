/// The inside of `{{ … }}` and `{% … %}` tags: names, literals and operators, as jinja2's `tag_rules`.
extension TemplateLexer {
    private static let twoCharacterOperators: Set<String> = ["//", "**", "==", "!=", ">=", "<="]
    private static let oneCharacterOperators: Set<Unicode.Scalar> = [
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";",
    ]

    /// Lexes the inside of a `{{ … }}` or `{% … %}` tag, up to and including its end delimiter.
    mutating func lexTag(from offset: Int, isBlock: Bool, tagStart: Int) throws(ChatTemplateError) {
        var cursor = offset
        var balancing: [Unicode.Scalar] = []
        let end: String = isBlock ? "%}" : "}}"
        while true {
            cursor = skipWhitespace(from: cursor)
            guard cursor < source.count else {
                throw error("unexpected end of template, expected '\(end)'", at: tagStart)
            }
            if balancing.isEmpty {
                var sign: Unicode.Scalar?
                var delimiterStart = cursor
                if source[cursor] == "-" || (isBlock && source[cursor] == "+") {
                    sign = source[cursor]
                    delimiterStart += 1
                }
                if matches(end, at: delimiterStart) {
                    tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, location: location(of: cursor)))
                    close(at: cursor, length: delimiterStart + 2 - cursor, sign: sign, trims: isBlock)
                    return
                }
            }
            let start = cursor
            let scalar = source[cursor]
            let kind: TokenKind
            if scalar == "'" || scalar == "\"" {
                (kind, cursor) = try lexString(from: cursor)
            } else if scalar.properties.numericType != nil, ("0"..."9").contains(scalar) {
                let afterDot = tokens.last.map { $0.kind == .op(".") } ?? false
                (kind, cursor) = try lexNumber(from: cursor, integerOnly: afterDot)
            } else if scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) {
                var nameEnd = cursor + 1
                while nameEnd < source.count, isNameContinuation(source[nameEnd]) { nameEnd += 1 }
                var name = String.UnicodeScalarView()
                name.append(contentsOf: source[cursor..<nameEnd])
                kind = .name(String(name))
                cursor = nameEnd
            } else if cursor + 1 < source.count,
                Self.twoCharacterOperators.contains(String(String.UnicodeScalarView([scalar, source[cursor + 1]])))
            {
                kind = .op(String(String.UnicodeScalarView([scalar, source[cursor + 1]])))
                cursor += 2
            } else if Self.oneCharacterOperators.contains(scalar) {
                switch scalar {
                case "(": balancing.append(")")
                case "[": balancing.append("]")
                case "{": balancing.append("}")
                case ")", "]", "}":
                    guard let expected = balancing.popLast() else {
                        throw error("unexpected '\(scalar)'", at: cursor)
                    }
                    guard expected == scalar else {
                        throw error("unexpected '\(scalar)', expected '\(expected)'", at: cursor)
                    }
                default: break
                }
                kind = .op(String(scalar))
                cursor += 1
            } else {
                throw error("unexpected char '\(scalar)'", at: cursor)
            }
            tokens.append(Token(kind: kind, location: location(of: start)))
        }
    }

    private func isNameContinuation(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private func isDigit(_ offset: Int) -> Bool {
        offset < source.count && ("0"..."9").contains(source[offset])
    }

    /// `(\d+_)*\d+` starting at `offset`; returns the end, or nil when no digit is there.
    private func digitRun(from offset: Int) -> Int? {
        guard isDigit(offset) else { return nil }
        var cursor = offset
        while true {
            while isDigit(cursor) { cursor += 1 }
            if cursor < source.count, source[cursor] == "_", isDigit(cursor + 1) {
                cursor += 1
                continue
            }
            return cursor
        }
    }

    private func lexNumber(from offset: Int, integerOnly: Bool) throws(ChatTemplateError) -> (TokenKind, Int) {
        if source[offset] == "0", offset + 1 < source.count {
            let radix: Int?
            switch source[offset + 1] {
            case "b", "B": radix = 2
            case "o", "O": radix = 8
            case "x", "X": radix = 16
            default: radix = nil
            }
            if let radix {
                var cursor = offset + 2
                var digits = ""
                while cursor < source.count {
                    let scalar = source[cursor]
                    if scalar == "_" {
                        cursor += 1
                        continue
                    }
                    guard Int(String(scalar), radix: radix) != nil else { break }
                    digits.unicodeScalars.append(scalar)
                    cursor += 1
                }
                guard let value = Int(digits, radix: radix) else { throw error("invalid integer literal", at: offset) }
                return (.integer(value), cursor)
            }
        }
        guard let integerEnd = digitRun(from: offset) else { throw error("invalid number", at: offset) }
        var end = integerEnd
        var isFloat = false
        if !integerOnly {
            if end < source.count, source[end] == ".", let fractionEnd = digitRun(from: end + 1) {
                end = fractionEnd
                isFloat = true
            }
            if end < source.count, source[end] == "e" || source[end] == "E" {
                var exponentStart = end + 1
                if exponentStart < source.count, source[exponentStart] == "+" || source[exponentStart] == "-" {
                    exponentStart += 1
                }
                if let exponentEnd = digitRun(from: exponentStart) {
                    end = exponentEnd
                    isFloat = true
                }
            }
        }
        var text = ""
        for scalar in source[offset..<end] where scalar != "_" { text.unicodeScalars.append(scalar) }
        if isFloat {
            guard let value = Double(text) else { throw error("invalid float literal", at: offset) }
            return (.float(value), end)
        }
        guard let value = Int(text) else { throw error("integer literal \(text) is too large", at: offset) }
        return (.integer(value), end)
    }

    /// A string literal with Python's `unicode-escape` decoding, as jinja2 applies it.
    private func lexString(from offset: Int) throws(ChatTemplateError) -> (TokenKind, Int) {
        let quote = source[offset]
        var cursor = offset + 1
        var value = String.UnicodeScalarView()
        while cursor < source.count {
            let scalar = source[cursor]
            if scalar == quote { return (.string(String(value)), cursor + 1) }
            guard scalar == "\\" else {
                value.append(scalar)
                cursor += 1
                continue
            }
            guard cursor + 1 < source.count else { break }
            let escaped = source[cursor + 1]
            cursor += 2
            switch escaped {
            case "\n": break
            case "\\": value.append("\\")
            case "'": value.append("'")
            case "\"": value.append("\"")
            case "a": value.append("\u{07}")
            case "b": value.append("\u{08}")
            case "f": value.append("\u{0C}")
            case "n": value.append("\n")
            case "r": value.append("\r")
            case "t": value.append("\t")
            case "v": value.append("\u{0B}")
            case "0"..."7":
                var code = Int(escaped.value - 48)
                var count = 1
                while count < 3, cursor < source.count, ("0"..."7").contains(source[cursor]) {
                    code = code * 8 + Int(source[cursor].value - 48)
                    cursor += 1
                    count += 1
                }
                guard let decoded = Unicode.Scalar(code) else { throw error("invalid octal escape", at: cursor) }
                value.append(decoded)
            case "x", "u", "U":
                let width = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                guard cursor + width <= source.count else { throw error("truncated \\\(escaped) escape", at: cursor) }
                var hex = ""
                hex.unicodeScalars.append(contentsOf: source[cursor..<cursor + width])
                guard let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) else {
                    throw error("invalid \\\(escaped) escape", at: cursor)
                }
                value.append(decoded)
                cursor += width
            default:
                value.append("\\")
                value.append(escaped)
            }
        }
        throw error("unexpected char '\(quote)' (unterminated string literal)", at: offset)
    }
}
