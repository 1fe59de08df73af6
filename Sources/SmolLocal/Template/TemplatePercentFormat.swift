import SmolCore

import Foundation

extension TemplateRenderer {
    /// Python's printf-style `format % args`, for the `%` operator on strings and the `format` filter.
    ///
    /// Supports `%(name)s` mappings, the flags `-+ 0#`, width and precision (also `*`), and the conversions
    /// `s r a d i u f F e E g G x X o c %`, with Python's errors for missing or extra arguments.
    func percentFormat(_ format: String, _ arguments: TemplateValue) throws(EvaluationFailure) -> String {
        let scalars = Array(format.unicodeScalars)
        var positional: [TemplateValue]
        var mapping: TemplateDict?
        switch arguments {
        case .tuple(let elements): positional = elements
        case .dict(let dict) where format.contains("%("):
            positional = []
            mapping = dict
        default: positional = [arguments]
        }
        var next = 0
        func take() throws(EvaluationFailure) -> TemplateValue {
            guard next < positional.count else { throw EvaluationFailure(.type, "not enough arguments for format string") }
            next += 1
            return positional[next - 1]
        }
        var out = ""
        var index = 0
        func number() -> Int? {
            var digits = ""
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                digits.unicodeScalars.append(scalars[index])
                index += 1
            }
            return Int(digits)
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "%" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            var value: TemplateValue?
            if index < scalars.count, scalars[index] == "(" {
                guard let mapping else { throw EvaluationFailure(.type, "format requires a mapping") }
                var key = ""
                index += 1
                while index < scalars.count, scalars[index] != ")" {
                    key.unicodeScalars.append(scalars[index])
                    index += 1
                }
                index += 1
                guard let member = mapping[key] else { throw EvaluationFailure(.type, "KeyError: '\(key)'") }
                value = member
            }
            var flags = Set<Unicode.Scalar>()
            while index < scalars.count, "-+ 0#".unicodeScalars.contains(scalars[index]) {
                flags.insert(scalars[index])
                index += 1
            }
            var width = 0
            if index < scalars.count, scalars[index] == "*" {
                index += 1
                guard let star = try take().integerValue else { throw EvaluationFailure(.type, "* wants int") }
                width = star
            } else {
                width = number() ?? 0
            }
            var precision: Int?
            if index < scalars.count, scalars[index] == "." {
                index += 1
                if index < scalars.count, scalars[index] == "*" {
                    index += 1
                    precision = try take().integerValue
                } else {
                    precision = number() ?? 0
                }
            }
            // A width or precision from the format (or `*`) is padding to allocate: bound it before it is built,
            // and a negative `*` precision (which `prefix` would trap on) is 0, as in Python.
            try TemplateText.checkSize(max(width, precision ?? 0), limits.maxOutputBytes)
            if let given = precision, given < 0 { precision = 0 }
            while index < scalars.count, "hlL".unicodeScalars.contains(scalars[index]) { index += 1 }
            guard index < scalars.count else { throw EvaluationFailure(.type, "incomplete format") }
            let conversion = scalars[index]
            index += 1
            if conversion == "%" {
                out += "%"
                continue
            }
            let argument: TemplateValue
            if let value { argument = value } else { argument = try take() }
            var text: String
            switch conversion {
            case "s", "r", "a":
                text = conversion == "s" ? string(argument) : repr(argument)
                if let precision { text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision))) }
            case "d", "i", "u", "x", "X", "o":
                let integer: Int
                switch argument {
                case .int, .bool: integer = argument.integerValue ?? 0
                case .double(let real) where conversion == "d" || conversion == "i" || conversion == "u":
                    guard real.isFinite, let truncated = Int(exactly: real.rounded(.towardZero)) else {
                        throw EvaluationFailure(.type, "cannot convert float \(Python.repr(real)) to integer")
                    }
                    integer = truncated
                default:
                    let kind = conversion == "x" || conversion == "X" || conversion == "o" ? "an integer is required" : "a real number is required"
                    throw EvaluationFailure(.type, "%\(conversion) format: \(kind), not \(argument.typeName)")
                }
                let radix = conversion == "x" || conversion == "X" ? 16 : conversion == "o" ? 8 : 10
                var digits = String(integer.magnitude, radix: radix, uppercase: conversion == "X")
                if let precision, digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
                if flags.contains("#"), radix != 10 { digits = (radix == 16 ? (conversion == "X" ? "0X" : "0x") : "0o") + digits }
                let sign = integer < 0 ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : ""
                text = sign + digits
                if flags.contains("0"), !flags.contains("-"), text.count < width {
                    text = sign + String(repeating: "0", count: width - text.count) + text.dropFirst(sign.count)
                }
            case "f", "F", "e", "E", "g", "G":
                guard let real = argument.numericValue else {
                    throw EvaluationFailure(.type, "must be real number, not \(argument.typeName)")
                }
                var spec = "%"
                for flag in "-+ 0#".unicodeScalars where flags.contains(flag) { spec.unicodeScalars.append(flag) }
                spec += "\(width).\(precision ?? 6)\(Character(conversion))"
                text = String(format: spec, real)
                if !real.isFinite { text = text.lowercased() == text ? text : text.uppercased() }
            case "c":
                if case .string(let character) = argument, character.unicodeScalars.count == 1 {
                    text = character
                } else if let code = argument.integerValue, let character = Unicode.Scalar(code) {
                    text = String(character)
                } else {
                    throw EvaluationFailure(.type, "%c requires an int or a unicode character, not \(argument.typeName)")
                }
            default:
                throw EvaluationFailure(.type, "unsupported format character '\(conversion)' (0x\(String(conversion.value, radix: 16))) at index \(index - 1)")
            }
            let length = text.unicodeScalars.count
            if length < width {
                let padding = String(repeating: " ", count: width - length)
                text = flags.contains("-") ? text + padding : padding + text
            }
            // Many large arguments can add up past the limit even when each one is within it.
            try TemplateText.checkSize(out.utf8.count + text.utf8.count, limits.maxOutputBytes)
            out += text
        }
        // Python skips this check when the argument has __getitem__ (a dict, list or Undefined), not str or tuple.
        var isMappingLike = false
        switch arguments {
        case .dict, .list, .undefined: isMappingLike = true
        default: break
        }
        if mapping == nil, !isMappingLike, next < positional.count {
            throw EvaluationFailure(.type, "not all arguments converted during string formatting")
        }
        return out
    }
}
