/// Lets a ``JSONValue`` sit inside `Codable` types (provider payloads, saved transcripts).
///
/// Foundation's decoders do not promise to report object keys in document order, so a value decoded
/// through `Decodable` may have its members reordered; `JSONValue.init(parsing:strict:)` keeps
/// the order (and Python's number typing) and is the way to read JSON text. Decoders also hand a float
/// literal with an integral value, such as `1.0` or `5.1903093092182554e+17`, to `Int` when asked, so it
/// comes back as ``JSONValue/int(_:)`` holding the literal's decimal value; past 2^53 that can differ
/// slightly from the `Double` that was encoded. The decoder's API gives no way to tell the two apart.
extension JSONValue: Codable {
    /// Decodes whichever JSON type the decoder holds, trying the narrower types first.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([JSONValue].self) {
            self = .array(elements)
        } else if let object = try? container.decode(JSONObject.self) {
            self = .object(object)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "The value is not null, a boolean, a number, a string, an array or an object.")
        }
    }

    /// Encodes the value as the matching JSON type; objects are written in insertion order.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let object):
            try object.encode(to: encoder)
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let flag): try container.encode(flag)
            case .int(let number): try container.encode(number)
            case .double(let number): try container.encode(number)
            case .string(let text): try container.encode(text)
            case .array(let elements): try container.encode(elements)
            case .object: break
            }
        }
    }
}

/// Encodes and decodes an object through a keyed container.
///
/// Encoding visits the members in insertion order; whether that order survives depends on the encoder.
/// Decoding takes the keys in the order the decoder lists them, which Foundation does not guarantee to be
/// document order; use `JSONValue.init(parsing:strict:)` when order matters.
extension JSONObject: Codable {
    /// A key that is any string, for objects whose keys are not known in advance.
    private struct MemberKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes every member the keyed container lists.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: MemberKey.self)
        self.init()
        for key in container.allKeys {
            self[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
    }

    /// Encodes the members in insertion order.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: MemberKey.self)
        for key in keys {
            try container.encode(self[key] ?? .null, forKey: MemberKey(stringValue: key))
        }
    }
}
