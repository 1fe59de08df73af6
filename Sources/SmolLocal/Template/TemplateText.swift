/// Python string algorithms that Swift's standard library spells differently.
enum TemplateText {
    /// `str.split()` / `str.rsplit()` without a separator: runs of whitespace, no empty pieces.
    static func splitWhitespace(_ text: String, maxSplit: Int, fromEnd: Bool) -> [String] {
        var scalars = Array(text.unicodeScalars)
        if fromEnd { scalars.reverse() }
        var pieces: [[Unicode.Scalar]] = []
        var cursor = 0
        while cursor < scalars.count {
            while cursor < scalars.count, isPythonWhitespace(scalars[cursor]) { cursor += 1 }
            guard cursor < scalars.count else { break }
            if maxSplit >= 0, pieces.count == maxSplit {
                // The unsplit remainder keeps all its whitespace after the leading run ('  a b  '.split(None, 1)).
                pieces.append(Array(scalars[cursor...]))
                break
            }
            let start = cursor
            while cursor < scalars.count, !isPythonWhitespace(scalars[cursor]) { cursor += 1 }
            pieces.append(Array(scalars[start..<cursor]))
        }
        if fromEnd { pieces = pieces.reversed().map { $0.reversed() } }
        return pieces.map { String(String.UnicodeScalarView($0)) }
    }

    /// `str.split(sep, maxsplit)` / `str.rsplit(sep, maxsplit)`.
    static func split(_ text: String, on separator: String, maxSplit: Int, fromEnd: Bool) -> [String] {
        var scalars = Array(text.unicodeScalars)
        var needle = Array(separator.unicodeScalars)
        if fromEnd {
            scalars.reverse()
            needle.reverse()
        }
        var pieces: [[Unicode.Scalar]] = []
        var start = 0, cursor = 0
        while cursor + needle.count <= scalars.count, maxSplit < 0 || pieces.count < maxSplit {
            if scalars[cursor..<cursor + needle.count].elementsEqual(needle) {
                pieces.append(Array(scalars[start..<cursor]))
                cursor += needle.count
                start = cursor
            } else {
                cursor += 1
            }
        }
        pieces.append(Array(scalars[start...]))
        if fromEnd { pieces = pieces.reversed().map { $0.reversed() } }
        return pieces.map { String(String.UnicodeScalarView($0)) }
    }

    /// `str.replace(old, new, count)`, including Python's rule for an empty `old`.
    /// Fails with ``TemplateLimits/Limit/outputSize`` when a string built while rendering would pass `maxBytes`.
    static func checkSize(_ bytes: Int, _ maxBytes: Int) throws(EvaluationFailure) {
        guard bytes <= maxBytes else {
            throw EvaluationFailure(.limitExceeded(.outputSize), "string would be larger than \(maxBytes) bytes")
        }
    }

    static func replace(_ text: String, _ old: String, _ new: String, count: Int, maxBytes: Int) throws(EvaluationFailure) -> String {
        let scalars = Array(text.unicodeScalars), needle = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var replaced = 0
        // Each replacement can add the whole of `new`: with an empty needle that is once per scalar, so the
        // result is checked as it grows rather than after it has been built.
        var bytes = text.utf8.count
        let growth = new.utf8.count - old.utf8.count
        if needle.isEmpty {
            for scalar in scalars {
                if count < 0 || replaced < count {
                    bytes += growth
                    try checkSize(bytes, maxBytes)
                    out.append(contentsOf: new.unicodeScalars)
                    replaced += 1
                }
                out.append(scalar)
            }
            if count < 0 || replaced < count {
                try checkSize(bytes + new.utf8.count, maxBytes)
                out.append(contentsOf: new.unicodeScalars)
            }
            return String(out)
        }
        var cursor = 0
        while cursor < scalars.count {
            if (count < 0 || replaced < count), cursor + needle.count <= scalars.count,
                scalars[cursor..<cursor + needle.count].elementsEqual(needle)
            {
                bytes += growth
                try checkSize(bytes, maxBytes)
                out.append(contentsOf: new.unicodeScalars)
                cursor += needle.count
                replaced += 1
            } else {
                out.append(scalars[cursor])
                cursor += 1
            }
        }
        return String(out)
    }

    /// `str.title()`: a cased character after an uncased one starts a word.
    static func pythonTitle(_ text: String) -> String {
        var out = ""
        var previousCased = false
        for scalar in text.unicodeScalars {
            let character = String(scalar)
            out += previousCased ? character.lowercased() : character.uppercased()
            previousCased = scalar.properties.isCased
        }
        return out
    }

    /// `str.capitalize()`: the first character upper-cased, the rest lower-cased.
    static func capitalize(_ text: String) -> String {
        guard let first = text.unicodeScalars.first else { return "" }
        return String(first).uppercased() + String(text.unicodeScalars.dropFirst()).lowercased()
    }

    /// jinja2's `title` filter: words start after whitespace or one of `-({[<`.
    static func jinjaTitle(_ text: String) -> String {
        var out = ""
        var atWordStart = true
        for scalar in text.unicodeScalars {
            let isBoundary = isPythonWhitespace(scalar) || "-({[<".unicodeScalars.contains(scalar)
            if isBoundary {
                out.unicodeScalars.append(scalar)
                atWordStart = true
            } else {
                out += atWordStart ? String(scalar).uppercased() : String(scalar).lowercased()
                atWordStart = false
            }
        }
        return out
    }

    /// jinja2's `indent(width, first, blank)` filter: later lines get the prefix unless empty (or always,
    /// with `blank`); the first line only with `first`.
    static func indent(_ text: String, by prefix: String, first: Bool, blank: Bool) -> String {
        // jinja2 appends "\n" and uses splitlines(), which gives exactly the "\n"-separated pieces.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + prefix)
        } else {
            result = lines[0]
            if lines.count > 1 {
                result += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : prefix + $0 }.joined(separator: "\n")
            }
        }
        return first ? prefix + result : result
    }
}
