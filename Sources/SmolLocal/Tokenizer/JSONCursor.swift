import SmolCore

/// A JSON value together with its path in the file (`model.merges[3]`), so that every load error can say
/// exactly which field was wrong.
struct JSONCursor {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key`; absent or `null` members are missing.
    func field(_ key: String) throws(TokenizerError) -> JSONCursor {
        guard let member = optionalField(key) else { throw .missingField(path: child(key)) }
        return member
    }

    /// The member `key`, or `nil` when absent or `null`.
    func optionalField(_ key: String) -> JSONCursor? {
        guard let member = value.objectValue?[key], !member.isNull else { return nil }
        return JSONCursor(member, path: child(key))
    }

    func string() throws(TokenizerError) -> String {
        guard let string = value.stringValue else { throw invalid("expected a string, found \(value.typeName)") }
        return string
    }

    func bool() throws(TokenizerError) -> Bool {
        guard let bool = value.boolValue else { throw invalid("expected true or false, found \(value.typeName)") }
        return bool
    }

    func tokenID() throws(TokenizerError) -> Int32 {
        guard let int = value.intValue, let id = Int32(exactly: int), id >= 0 else {
            throw invalid("expected a token id (a non-negative 32-bit integer), found \(value)")
        }
        return id
    }

    func array() throws(TokenizerError) -> [JSONCursor] {
        guard let array = value.arrayValue else { throw invalid("expected an array, found \(value.typeName)") }
        return array.enumerated().map { JSONCursor($1, path: "\(path)[\($0)]") }
    }

    func members() throws(TokenizerError) -> [(key: String, value: JSONCursor)] {
        guard let object = value.objectValue else { throw invalid("expected an object, found \(value.typeName)") }
        return object.map { (key: $0.key, value: JSONCursor($0.value, path: child($0.key))) }
    }

    /// The component's `type` member.
    func type() throws(TokenizerError) -> String { try field("type").string() }

    func invalid(_ reason: String) -> TokenizerError { .invalidField(path: path, reason: reason) }
}
