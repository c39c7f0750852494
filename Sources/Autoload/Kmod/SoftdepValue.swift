/// Parser for the value `kmod_config_iter_get_value` gives for a softdep.
///
/// libkmod (30, and upstream as of 2025) rebuilds the line as
/// `"pre: " + pre.joined(" ") + "post: " + post.joined(" ")` with no space
/// before `post:`, e.g. `pre: acme_libpost: foo_bar`. We split on the
/// first `post: ` instead of on whitespace. Module names never contain ':',
/// and libkmod only switches lists on a token that is exactly `post:`, so
/// the first `post: ` is always the separator.
enum SoftdepValue {
    static func parse(module: String, _ value: String) -> ConfigSoftdep {
        var rest = Substring(value)
        var pre: [String] = []
        var post: [String] = []
        if rest.hasPrefix("pre: ") {
            rest = rest.dropFirst("pre: ".count)
            let preText: Substring
            if let separator = rest.firstRange(of: "post: ") {
                preText = rest[..<separator.lowerBound]
                rest = rest[separator.lowerBound...]
            } else {
                preText = rest
                rest = ""
            }
            pre = words(preText)
        }
        if rest.hasPrefix("post: ") {
            post = words(rest.dropFirst("post: ".count))
        }
        return ConfigSoftdep(module: module, pre: pre, post: post)
    }

    private static func words(_ text: Substring) -> [String] {
        text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }
}
