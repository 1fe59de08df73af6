#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How much memory this process may use, and whether a model with its KV cache fits in it.
///
/// The weights are mapped from their file and the KV cache is allocated lazily, so an oversized model
/// would not fail when loaded: it would push the machine into swap, or get the process killed by the
/// kernel or its container, halfway through a long answer. ``check(weightBytes:cacheBytes:source:limit:)``
/// turns that into an error before the first token.
public enum MemoryBudget {
    /// The memory this process may use: physical memory, narrowed by a cgroup memory limit (`docker
    /// --memory`, Kubernetes limits), or nil when neither can be read.
    public static var limit: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        var budget: Int? = pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : nil
        if let cgroup = cgroupLimit() { budget = min(budget ?? cgroup, cgroup) }
        return budget
    }

    /// The memory limit of this process's cgroup, or nil when it has none: cgroup v2's `memory.max`
    /// (`max` is no limit), else v1's `memory.limit_in_bytes` (a huge value is no limit), under `root`.
    public static func cgroupLimit(root: String = "/sys/fs/cgroup") -> Int? {
        for file in [root + "/memory.max", root + "/memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            return bytes(limitText: text)
        }
        return nil
    }

    /// Bytes in a cgroup limit file's text, nil for `max`, an unreadable value or v1's "no limit" (≥ 2^60).
    static func bytes(limitText text: String) -> Int? {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Int(value), bytes > 0, bytes < 1 << 60 else { return nil }
        return bytes
    }

    /// Throws when `weightBytes` of weights and a `cacheBytes` KV cache together exceed `limit`.
    ///
    /// - Throws: ``ModelFileError/doesNotFit(path:needed:available:detail:)`` naming both sizes and the limit.
    public static func check(weightBytes: Int, cacheBytes: Int, source: String, limit: Int? = MemoryBudget.limit)
        throws(ModelFileError)
    {
        guard let limit else { return }
        let (needed, overflow) = weightBytes.addingReportingOverflow(cacheBytes)
        guard overflow || needed > limit else { return }
        throw .doesNotFit(path: source, needed: overflow ? Int.max : needed, available: limit,
                          detail: "weights \(format(weightBytes)) + KV cache \(format(cacheBytes)); "
                              + "a shorter contextLength makes the cache smaller")
    }

    /// `1.2 GB`-style sizes for messages.
    static func format(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

extension LlamaModel {
    /// Bytes of the weight tensors the model reads (each mapped tensor counted once).
    public var weightBytes: Int {
        var seen = Set<String>(), total = 0
        func add(_ m: WeightMatrix) {
            guard seen.insert(m.tensor.file.path + "\u{0}" + m.tensor.name).inserted else { return }
            total += m.tensor.bytes.count
            if let a = m.affine { total += a.scales.bytes.count + a.biases.bytes.count }
        }
        add(embedding)
        add(lmHead)
        for layer in layers {
            [layer.q, layer.k, layer.v, layer.o].forEach(add)
            if let d = layer.dense { [d.gate, d.up, d.down].forEach(add) }
            if let e = layer.experts {
                add(e.router)
                for x in e.experts { [x.gate, x.up, x.down].forEach(add) }
            }
        }
        return total
    }

    /// Bytes of one session's KV cache for `contextLength` tokens.
    public func cacheBytes(contextLength: Int, cacheType: KVCacheType = .f16) -> Int {
        let c = config
        let (perToken, o1) = (2 * c.layerCount * c.kvHeadCount * c.headDim).multipliedReportingOverflow(by: cacheType.byteWidth)
        let (total, o2) = perToken.multipliedReportingOverflow(by: contextLength)
        return o1 || o2 ? Int.max : total
    }
}
