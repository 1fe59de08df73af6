/// Splits template source into tokens exactly as jinja2's lexer does with transformers' settings
/// (`trim_blocks=True`, `lstrip_blocks=True`, `keep_trailing_newline=False`).
///
/// Whitespace control happens here, as in jinja2: `{%-`/`{{-`/`{#-` strip all whitespace before the tag,
/// `-%}`/`-}}`/`-#}` all whitespace after; `lstrip_blocks` drops the spaces and tabs that precede a block
/// or comment tag on its line, `trim_blocks` the first newline after a block or comment tag; `+` turns
/// either off for one tag.
struct TemplateLexer {
    private let source: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]
    private var position = 0
    private var tokens: [Token] = []
    /// Whether the text before the next tag starts a line (jinja2's `line_starting`).
    private var lineStarting = true

    init(source: String) {
        // Only \n, \r\n and \r are line breaks; one trailing newline is dropped.
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var previousWasCR = false
        for scalar in source.unicodeScalars {
            if scalar == "\r" {
                scalars.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n", previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            scalars.append(scalar)
        }
        if scalars.last == "\n" { scalars.removeLast() }
        self.source = scalars
        for (offset, scalar) in scalars.enumerated() where scalar == "\n" { lineStarts.append(offset + 1) }
    }

    /// The tokens of the whole template, ending with `.endOfInput`.
    static func tokenize(_ source: String) throws(ChatTemplateError) -> [Token] {
        var lexer = TemplateLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    func location(of offset: Int) -> SourceLocation {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    private func error(_ message: String, at offset: Int) -> ChatTemplateError {
        let location = location(of: offset)
        return ChatTemplateError(.syntax, message, line: location.line, column: location.column)
    }

    private func matches(_ literal: String, at offset: Int) -> Bool {
        var cursor = offset
        for scalar in literal.unicodeScalars {
            guard cursor < source.count, source[cursor] == scalar else { return false }
            cursor += 1
        }
        return true
    }

    private func skipWhitespace(from offset: Int) -> Int {
        var cursor = offset
        while cursor < source.count, isPythonWhitespace(source[cursor]) { cursor += 1 }
        return cursor
    }

    private enum TagKind { case variable, block, comment }

    private mutating func run() throws(ChatTemplateError) {
        while position < source.count {
            guard let (tagStart, kind) = nextTag(from: position) else {
                emitText(position..<source.count, at: position)
                break
            }
            var openerEnd = tagStart + 2
            var sign: Unicode.Scalar?
            if openerEnd < source.count, source[openerEnd] == "-" || source[openerEnd] == "+" {
                sign = source[openerEnd]
                openerEnd += 1
            }
            let text = stripped(position..<tagStart, sign: sign, tagIsVariable: kind == .variable)
            emitText(text, at: position)
            switch kind {
            case .comment:
                try lexComment(from: openerEnd, tagStart: tagStart)
            case .variable:
                tokens.append(Token(kind: .variableBegin, location: location(of: tagStart)))
                try lexTag(from: openerEnd, isBlock: false, tagStart: tagStart)
            case .block:
                if let rawBodyStart = rawBlockBody(from: openerEnd) {
                    try lexRaw(from: rawBodyStart, tagStart: tagStart)
                } else {
                    tokens.append(Token(kind: .blockBegin, location: location(of: tagStart)))
                    try lexTag(from: openerEnd, isBlock: true, tagStart: tagStart)
                }
            }
        }
        tokens.append(Token(kind: .endOfInput, location: location(of: source.count)))
    }

    private func nextTag(from offset: Int) -> (Int, TagKind)? {
        var cursor = offset
        while cursor + 1 < source.count {
            if source[cursor] == "{" {
                switch source[cursor + 1] {
                case "{": return (cursor, .variable)
                case "%": return (cursor, .block)
                case "#": return (cursor, .comment)
                default: break
                }
            }
            cursor += 1
        }
        return nil
    }

    /// Applies the opening tag's whitespace control to the text before it.
    private func stripped(_ range: Range<Int>, sign: Unicode.Scalar?, tagIsVariable: Bool) -> Range<Int> {
        if sign == "-" {
            var end = range.upperBound
            while end > range.lowerBound, isPythonWhitespace(source[end - 1]) { end -= 1 }
            return range.lowerBound..<end
        }
        guard sign != "+", !tagIsVariable else { return range }
        var lineStart = range.lowerBound
        var sawNewline = false
        for offset in range.reversed() where source[offset] == "\n" {
            lineStart = offset + 1
            sawNewline = true
            break
        }
        guard sawNewline || lineStarting, lineStart < range.upperBound else { return range }
        for offset in lineStart..<range.upperBound where !isPythonWhitespace(source[offset]) { return range }
        return range.lowerBound..<lineStart
    }

    private mutating func emitText(_ range: Range<Int>, at offset: Int) {
        guard !range.isEmpty else { return }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: source[range])
        tokens.append(Token(kind: .text(String(text)), location: location(of: range.lowerBound)))
    }

    /// Consumes a closing delimiter of length `length` at `offset` with its trailing whitespace control.
    private mutating func close(at offset: Int, length: Int, sign: Unicode.Scalar?, trims: Bool) {
        var end = offset + length
        if sign == "-" {
            end = skipWhitespace(from: end)
        } else if sign != "+", trims, end < source.count, source[end] == "\n" {
            end += 1
        }
        lineStarting = end > 0 && source[end - 1] == "\n"
        position = end
    }

    private mutating func lexComment(from bodyStart: Int, tagStart: Int) throws(ChatTemplateError) {
        var cursor = bodyStart
        while cursor + 1 < source.count {
            if source[cursor] == "#", source[cursor + 1] == "}" {
                var sign: Unicode.Scalar?
                var closeStart = cursor
                if cursor > bodyStart, source[cursor - 1] == "-" || source[cursor - 1] == "+" {
                    sign = source[cursor - 1]
                    closeStart = cursor - 1
                }
                close(at: closeStart, length: cursor + 2 - closeStart, sign: sign, trims: true)
                return
            }
            cursor += 1
        }
        throw error("Missing end of comment tag", at: tagStart)
    }

    /// When the block at `offset` is `{% raw %}`, the offset where its body starts.
    private func rawBlockBody(from offset: Int) -> Int? {
        var cursor = skipWhitespace(from: offset)
        guard matches("raw", at: cursor) else { return nil }
        cursor = skipWhitespace(from: cursor + 3)
        if matches("-%}", at: cursor) { return skipWhitespace(from: cursor + 3) }
        if matches("%}", at: cursor) { return cursor + 2 }
        return nil
    }

    private mutating func lexRaw(from bodyStart: Int, tagStart: Int) throws(ChatTemplateError) {
        var cursor = bodyStart
        while let (candidate, kind) = nextTag(from: cursor) {
            cursor = candidate + 1
            guard kind == .block else { continue }
            var inner = candidate + 2
            var sign: Unicode.Scalar?
            if inner < source.count, source[inner] == "-" || source[inner] == "+" {
                sign = source[inner]
                inner += 1
            }
            inner = skipWhitespace(from: inner)
            guard matches("endraw", at: inner) else { continue }
            inner = skipWhitespace(from: inner + 6)
            var closeSign: Unicode.Scalar?
            if inner < source.count, source[inner] == "-" || source[inner] == "+" {
                closeSign = source[inner]
                inner += 1
            }
            guard matches("%}", at: inner) else { continue }
            let text = stripped(bodyStart..<candidate, sign: sign, tagIsVariable: false)
            emitText(text, at: bodyStart)
            close(at: inner, length: 2, sign: closeSign, trims: true)
            return
        }
        throw error("Missing end of raw directive", at: tagStart)
    }
}

extension TemplateLexer {
    private static let twoCharacterOperators: Set<String> = ["//", "**", "==", "!=", ">=", "<="]
    private static let oneCharacterOperators: Set<Unicode.Scalar> = [
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";",
    ]

    /// Lexes the inside of a `{{ … }}` or `{% … %}` tag, up to and including its end delimiter.
    private mutating func lexTag(from offset: Int, isBlock: Bool, tagStart: Int) throws(ChatTemplateError) {
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
                    guard let digit = Int(String(scalar), radix: radix) else { break }
                    _ = digit
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
