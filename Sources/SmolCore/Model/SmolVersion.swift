/// The library's version.
public enum SmolVersion {
    /// The current version, as `smol --version` prints it.
    public static let current = "0.1.0"
}
