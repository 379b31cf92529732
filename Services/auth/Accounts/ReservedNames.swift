/// User names that self-service registration must never hand out, because other parts of the system give them meaning.
///
/// `anonymous` is how the edge and the services name a connection without a token, so an account of that name would be
/// confused with (and could act as) every anonymous client. `admin` and `system…` look authoritative in room member
/// lists, chat and logs; the operator may still create them (`SWITCHBOARD_ADMIN_USER`, `switchboard user add`), which
/// do not go through this check. Names are ASCII-only (`CredentialRules`), so look-alikes come only from case, the
/// separators `_ . -`, and the digits that read as letters; all three are folded before comparing.
enum ReservedNames {
    static let exact: Set<String> = ["anonymous", "admin"]
    static let prefix = "system"

    /// nil when `name` may be registered, else a message for the client.
    static func problem(userName name: String) -> String? {
        let folded = fold(name)
        if exact.contains(folded) || folded.hasPrefix(prefix) {
            return "username \(name) is reserved (anonymous, admin and names starting with system cannot be registered)"
        }
        return nil
    }

    /// Lower case, without `_ . -`, with `0 1 3 5` read as `o i e s`: `Adm1n`, `a.d.m.i.n` and `SYS_tem-x` all fold to a reserved form.
    static func fold(_ name: String) -> String {
        var folded = ""
        for character in name.lowercased() {
            switch character {
            case "_", ".", "-": continue
            case "0": folded.append("o")
            case "1": folded.append("i")
            case "3": folded.append("e")
            case "5": folded.append("s")
            default: folded.append(character)
            }
        }
        return folded
    }
}
