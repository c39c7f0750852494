import Foundation
import Testing

/// man/autoloadd.8.scd against the built binary's --help texts: every command and option
/// the help lists has an entry in the page, and every entry the page has is in the help.
/// Read from the help itself, so a command or option added to the code without the page
/// (or removed from the code, not from the page) fails here.
@Suite struct ManPageTests {
    static let page: String = {
        let url = FixtureTree.fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("man/autoloadd.8.scd")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    static func help(_ args: [String]) throws -> String {
        let run = try CLIRun.autoloadd(args.map { Array($0.utf8) })
        #expect(run.status == 0, "autoloadd \(args.joined(separator: " ")): \(run.stderr)")
        return String(decoding: run.stdout, as: UTF8.self)
    }

    /// The commands under the top-level help's "Commands:" heading.
    static func commands(inHelp help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "Commands:") else { return [] }
        return lines[(start + 1)...].prefix { $0.hasPrefix("  ") }
            .compactMap { $0.dropFirst(2).split(separator: " ").first.map(String.init) }
    }

    /// The options a help text lists: on each line that starts "  -", the option column (up to
    /// the first run of two spaces), every -x / --name in it.
    static func options(inHelp help: String) -> Set<String> {
        var found = Set<String>()
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            let column = line.dropFirst(2).split(separator: "  ", maxSplits: 1).first ?? ""
            // Words of the column that are options: "-h," "--root" (not DIR, VERSION).
            for word in column.split(whereSeparator: { $0 == " " || $0 == "," }) {
                if word.wholeMatch(of: /--?[a-z][a-z0-9-]*/) != nil { found.insert(String(word)) }
            }
        }
        return found
    }

    /// The page's section `heading` (a line "# X" or "## X"), up to the next heading.
    static func section(_ heading: String) -> String? {
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "# \(heading)" || $0 == "## \(heading)" }) else { return nil }
        return lines[(start + 1)...].prefix { !$0.hasPrefix("#") }.joined(separator: "\n")
    }

    /// The options a page section defines: each entry line (one starting with "*-"), every *-x*.
    static func options(inPage section: String) -> Set<String> {
        var found = Set<String>()
        for line in section.split(separator: "\n") where line.hasPrefix("*-") {
            for m in line.matches(of: /\*(--?[a-z][a-z0-9-]*)\*/) { found.insert(String(m.output.1)) }
        }
        return found
    }

    @Test func pageIsThere() {
        #expect(!Self.page.isEmpty, "man/autoloadd.8.scd not found or empty")
    }

    @Test func everyCommandHasASectionAndAnEntry() throws {
        let listed = Self.commands(inHelp: try Self.help(["--help"]))
        #expect(!listed.isEmpty, "no commands parsed from autoloadd --help")
        let entries = (Self.section("COMMANDS") ?? "").split(separator: "\n")
            .compactMap { $0.wholeMatch(of: /\*([a-z-]+)\*/).map { String($0.output.1) } }
        #expect(Set(entries) == Set(listed), "COMMANDS entries \(entries.sorted()) vs autoloadd --help \(listed.sorted())")
        for c in listed { #expect(Self.section("autoloadd \(c)") != nil, "no \"## autoloadd \(c)\" section") }
        let sections = Self.page.split(separator: "\n").compactMap { $0.wholeMatch(of: /## autoloadd ([a-z-]+)/).map { String($0.output.1) } }
        #expect(Set(sections) == Set(listed), "page sections \(sections.sorted()) vs commands \(listed.sorted())")
    }

    @Test func globalOptionsAgree() throws {
        let help = Self.options(inHelp: try Self.help(["--help"]))
        #expect(!help.isEmpty)
        #expect(Self.options(inPage: Self.section("GLOBAL OPTIONS") ?? "") == help)
    }

    @Test func eachCommandsOptionsAgree() throws {
        let listed = Self.commands(inHelp: try Self.help(["--help"]))
        var everyOption = Set<String>()
        for c in listed {
            let help = Self.options(inHelp: try Self.help([c, "--help"]))
            everyOption.formUnion(help)
            #expect(help.contains("--help"), "\(c): parsed \(help.sorted()) from --help")
            let page = Self.options(inPage: Self.section("autoloadd \(c)") ?? "")
            #expect(help.subtracting(page).isEmpty, "\(c): in --help, not in the page: \(help.subtracting(page).sorted())")
            #expect(page.subtracting(help).isEmpty, "\(c): in the page, not in --help: \(page.subtracting(help).sorted())")
        }
        // The shared TREE OPTIONS entries describe options some command has.
        let tree = Self.options(inPage: Self.section("TREE OPTIONS") ?? "")
        #expect(!tree.isEmpty)
        #expect(tree.subtracting(everyOption).isEmpty, "TREE OPTIONS not in any --help: \(tree.subtracting(everyOption).sorted())")
    }
}
