/// A cheap upper bound on how many values a JSON text holds, found before parsing it.
///
/// Parsed JSON is boxed: each value costs tens of bytes however short its text (`0,` is two bytes), so a
/// small hostile safetensors header or tokenizer.json could ask for gigabytes before any other check runs.
/// Counting the separators that introduce a value (`[`, `{`, `,`, `:`) outside strings bounds the values
/// (keys included) without allocating anything.
enum JSONValueBudget {
    /// The values (keys included) that `bytes` can hold at most, counting no further than `limit + 1`.
    static func valueCount(_ bytes: some Sequence<UInt8>, limit: Int) -> Int {
        var count = 1
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":"):
                count += 1
                if count > limit { return count }
            default:
                break
            }
        }
        return count
    }
}
