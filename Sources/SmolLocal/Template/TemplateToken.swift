/// One lexical token of a template.
enum TokenKind: Sendable, Equatable {
    /// Literal text between tags, after whitespace control.
    case text(String)
    case variableBegin
    case variableEnd
    case blockBegin
    case blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    /// An operator or punctuation, spelled as in the source (`==`, `(`, `|`, …).
    case op(String)
    case endOfInput
}

/// A token and where it starts.
struct Token: Sendable {
    let kind: TokenKind
    let location: SourceLocation
}

extension TokenKind {
    /// How the token reads in an error message, in jinja2's style.
    var describe: String {
        switch self {
        case .text: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let name): return name
        case .string(let value): return "'\(value)'"
        case .integer(let value): return String(value)
        case .float(let value): return String(value)
        case .op(let spelling): return spelling
        case .endOfInput: return "end of template"
        }
    }
}

/// Python's `str.isspace`, which jinja2's `\s` and `str.strip` use.
@inline(__always)
func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}
