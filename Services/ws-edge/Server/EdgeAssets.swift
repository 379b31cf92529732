import Foundation
import NIOCore

/// The edge's static files (console page, script, style; the OpenAPI document and the docs page), read once at startup.
///
/// They are SwiftPM resources of this target (`Console/Assets`, `Docs/Assets`), so they are ordinary files a parser can
/// check, not strings inside Swift. SwiftPM puts them in `Switchboard_WSEdge.resources` next to the binary, which is
/// where `make run`, the tests (`SWITCHBOARD_BIN_DIR`) and the Docker image (which copies that directory next to
/// `ws-edge`) run it from; `SWITCHBOARD_EDGE_ASSETS` names another directory. Read at startup, so a missing file stops
/// the edge with a clear message instead of failing a request later, and a request can never name a path on disk.
struct EdgeAssets: Sendable {
    static let bundleName = "Switchboard_WSEdge.resources"
    static let files = ["console.html", "console.js", "console.css", "docs.html", "openapi.json"]

    struct NotFound: Error, CustomStringConvertible {
        let description: String
    }

    let directory: String
    private let contents: [String: ByteBuffer]

    /// Reads every file of `files` from `directory`, or from the first candidate directory that holds them all.
    init(directory override: String? = nil) throws {
        let candidates = override.map { [$0] } ?? Self.candidates
        guard let directory = candidates.first(where: { dir in Self.files.allSatisfy { FileManager.default.isReadableFile(atPath: "\(dir)/\($0)") } })
        else {
            throw NotFound(
                description: "the edge's assets (\(Self.files.joined(separator: ", "))) are in none of \(candidates): "
                    + "copy \(Self.bundleName) next to ws-edge, or set SWITCHBOARD_EDGE_ASSETS")
        }
        var contents: [String: ByteBuffer] = [:]
        for name in Self.files {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
            contents[name] = ByteBuffer(bytes: data)
        }
        self.directory = directory
        self.contents = contents
    }

    /// Next to the running binary (`/proc/self/exe` resolves symlinks), then next to `argv[0]`.
    static var candidates: [String] {
        var directories: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent().path)
        }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        return directories.map { "\($0)/\(bundleName)" }
    }

    /// The bytes of one of `files`; nil for any other name.
    func buffer(_ name: String) -> ByteBuffer? { contents[name] }

    /// One of `files` as text (empty for any other name).
    func text(_ name: String) -> String { contents[name].map { String(buffer: $0) } ?? "" }

    /// The media type served for a file name.
    static func contentType(_ name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
