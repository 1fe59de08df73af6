/// Splits template source into tokens exactly as jinja2's lexer does with transformers' settings
/// (`trim_blocks=True`, `lstrip_blocks=True`, `keep_trailing_newline=False`).
///
/// Whitespace control happens here, as in jinja2: `{%-`/`{{-`/`{#-` strip all whitespace before the tag,
/// `-%}`/`-}}`/`-#}` all whitespace after; `lstrip_blocks` drops the spaces and tabs that precede a block
/// or comment tag on its line, `trim_blocks` the first newline after a block or comment tag; `+` turns
/// either off for one tag.
struct TemplateLexer {
    let source: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]
    var position = 0
    var tokens: [Token] = []
    /// Whether the text before the next tag starts a line (jinja2's `line_starting`).
    var lineStarting = true

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

    func error(_ message: String, at offset: Int) -> ChatTemplateError {
        let location = location(of: offset)
        return ChatTemplateError(.syntax, message, line: location.line, column: location.column)
    }

    func matches(_ literal: String, at offset: Int) -> Bool {
        var cursor = offset
        for scalar in literal.unicodeScalars {
            guard cursor < source.count, source[cursor] == scalar else { return false }
            cursor += 1
        }
        return true
    }

    func skipWhitespace(from offset: Int) -> Int {
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
    mutating func close(at offset: Int, length: Int, sign: Unicode.Scalar?, trims: Bool) {
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

