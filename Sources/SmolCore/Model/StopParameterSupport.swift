/// smolagents' `supports_stop_parameter`: whether a model's API accepts a `stop` parameter.
///
/// Reproduces smolagents' regex exactly, oddities included: the last path component is tested, `o3-mini`
/// is accepted, and every other `o3…`/`o4…` (with `-` or `.` after the number, so `o3-mini-2025-01-31`
/// too), every `gpt-5…`, and `grok-…` with an optional `vendor.` prefix are rejected. Case-sensitive,
/// ASCII classes, and like Python's `$` a single trailing newline is allowed.
public func supportsStopParameter(_ modelID: String) -> Bool {
    let name = modelID.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    if name == "o3-mini" { return true }
    if rejectsStop(Substring(name)) { return false }
    if name.hasSuffix("\n"), rejectsStop(name.dropLast()) { return false }
    return true
}

/// Whether `name` fully matches
/// `(o3(?:$|[-.].*)|o4(?:$|[-.].*)|gpt-5.*)|([A-Za-z][A-Za-z0-9_-]*\.)?grok-[A-Za-z0-9][A-Za-z0-9_.-]*`
/// where `.` matches anything but a newline.
private func rejectsStop(_ name: Substring) -> Bool {
    guard !name.contains("\n") else { return false }
    for family in ["o3", "o4"] where name.hasPrefix(family) {
        let rest = name.dropFirst(2)
        if rest.isEmpty || rest.first == "-" || rest.first == "." { return true }
    }
    if name.hasPrefix("gpt-5") { return true }
    if isGrokName(name) { return true }
    if let dot = name.firstIndex(of: "."), isVendorPrefix(name[..<dot]), isGrokName(name[name.index(after: dot)...]) {
        return true
    }
    return false
}

private func isASCIILetter(_ c: Character) -> Bool { c.isASCII && c.isLetter }
private func isASCIIAlphanumeric(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

/// `[A-Za-z][A-Za-z0-9_-]*`
private func isVendorPrefix(_ text: Substring) -> Bool {
    guard let first = text.first, isASCIILetter(first) else { return false }
    return text.dropFirst().allSatisfy { isASCIIAlphanumeric($0) || $0 == "_" || $0 == "-" }
}

/// `grok-[A-Za-z0-9][A-Za-z0-9_.-]*`
private func isGrokName(_ text: Substring) -> Bool {
    guard text.hasPrefix("grok-") else { return false }
    let rest = text.dropFirst(5)
    guard let first = rest.first, isASCIIAlphanumeric(first) else { return false }
    return rest.dropFirst().allSatisfy { isASCIIAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == "-" }
}
