/// The character classes the pre-tokenizer regexes distinguish, as bit flags.
///
/// Oniguruma (which Hugging Face `tokenizers` uses) defines `\p{L}` as general category L*, `\p{N}` as
/// N* (Nd, Nl, No) and `\s` as the Unicode White_Space property, so these are computed from Swift's own
/// Unicode tables rather than from `Character` properties, which look at whole grapheme clusters.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let whitespace = ScalarClass(rawValue: 4)
    /// `\r` or `\n`, which the Llama-3 and Qwen2 regexes treat apart from other whitespace.
    static let lineBreak = ScalarClass(rawValue: 8)

    /// Neither letter, number nor whitespace: the `[^\s\p{L}\p{N}]` class.
    var isOther: Bool { rawValue & 7 == 0 }

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        if value < 0x10000 {
            self = ScalarClass.basicPlaneTable[Int(value)]
            return
        }
        self.init(computing: scalar)
    }

    /// The classes of the Basic Multilingual Plane, computed once (64 KiB): looking up Unicode properties for
    /// every scalar was the largest single cost of pre-tokenizing non-ASCII text.
    private static let basicPlaneTable: [ScalarClass] = (0..<0x10000).map { value -> ScalarClass in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return [] }  // surrogates never occur in a String
        return ScalarClass(computing: scalar)
    }

    private init(computing scalar: Unicode.Scalar) {
        let value = scalar.value
        if value < 128 {
            self = ScalarClass.asciiTable[Int(value)]
            return
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = properties.isWhitespace ? .whitespace : []
        }
    }

    private static let asciiTable: [ScalarClass] = (0..<128).map { value -> ScalarClass in
        switch value {
        case 0x0A, 0x0D: return [.whitespace, .lineBreak]
        case 0x09, 0x0B, 0x0C, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return []
        }
    }

    /// The classes of every scalar of `scalars`, computed once per piece of text.
    static func classify(_ scalars: some Collection<Unicode.Scalar>) -> [ScalarClass] {
        var classes: [ScalarClass] = []
        classes.reserveCapacity(scalars.count)
        for scalar in scalars { classes.append(ScalarClass(scalar)) }
        return classes
    }
}
