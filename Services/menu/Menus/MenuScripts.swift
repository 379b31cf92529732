import Redis

/// The Lua scripts behind every menu read and write, with the Redis keys they share (DESIGN.md §5).
///
/// Each write checks, changes the `menu:{key}` hash and the `menus` set, increments `menu:version`, pushes its entry to
/// the capped `menu:log` and rewrites `menu:meta` in one script, then returns the snapshot after it — so the version,
/// checksum and change a `menu_change` frame carries belong together even when two admins write at once.
///
/// Every script takes the same KEYS (`menus`, `menu:log`, `menu:version`, `menu:meta`) and, first in ARGV, the prefix of
/// menu hashes (`menu:`) and how many log entries the snapshot returns. Menu hashes are addressed from inside the
/// script (the parent chain is only known there), which a single Redis allows.
enum MenuScripts {
    static let keys = ["menus", "menu:log", "menu:version", "menu:meta"]
    /// How many log entries `GET /api/menu/version` answers.
    static let recentChanges = 10

    /// Results of `upsert` and `delete` (first element of the reply).
    enum Status: Int {
        case unchanged = 0
        case created = 1
        case updated = 2
        case deleted = 3
        case missing = -1
        case parentMissing = -2
        case parentCycle = -3
        case hasChildren = -4
    }

    private static let snapshotFunction = """
        local function snapshot()
          local version = tonumber(redis.call('GET', KEYS[3]) or '0')
          local meta = redis.call('HGETALL', KEYS[4])
          local log = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[2]) - 1)
          local menus = {}
          for i, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            menus[i] = redis.call('HGETALL', ARGV[1] .. key)
          end
          return {version, meta, log, menus}
        end

        """

    /// `return snapshot()`: the state readers cache.
    static let snapshot = RedisScript(snapshotFunction + "return snapshot()\n")

    /// ARGV: prefix, log count, log cap, key, name, icon, url, sort_order, is_active, parent, required_permission,
    /// updated_at, author, created entry, updated entry, created description, updated description.
    /// Returns `{status, snapshot}`, or `{negative status, detail}` when the parent is unknown or would make a cycle.
    /// Content equal to the stored menu changes nothing (no version, no log entry): status 0.
    static let upsert = RedisScript(
        snapshotFunction + """
            local prefix, key, parent = ARGV[1], ARGV[4], ARGV[10]
            if parent ~= '' then
              if redis.call('SISMEMBER', KEYS[1], parent) == 0 then return {\(Status.parentMissing.rawValue), parent} end
              local ancestor, depth = parent, 0
              while ancestor ~= '' do
                if ancestor == key or depth > 64 then return {\(Status.parentCycle.rawValue), parent} end
                ancestor = redis.call('HGET', prefix .. ancestor, 'parent') or ''
                depth = depth + 1
              end
            end
            local item = prefix .. key
            local fields = {'key', key, 'name', ARGV[5], 'icon', ARGV[6], 'url', ARGV[7], 'sort_order', ARGV[8],
              'is_active', ARGV[9], 'parent', parent, 'required_permission', ARGV[11]}
            local exists = redis.call('SISMEMBER', KEYS[1], key) == 1
            if exists then
              local same = true
              for i = 1, #fields, 2 do
                if redis.call('HGET', item, fields[i]) ~= fields[i + 1] then same = false; break end
              end
              if same then return {\(Status.unchanged.rawValue), snapshot()} end
            end
            redis.call('DEL', item)
            redis.call('HSET', item, unpack(fields))
            redis.call('HSET', item, 'updated_at', ARGV[12])
            redis.call('SADD', KEYS[1], key)
            redis.call('INCR', KEYS[3])
            local entry, description, status = ARGV[14], ARGV[16], \(Status.created.rawValue)
            if exists then entry, description, status = ARGV[15], ARGV[17], \(Status.updated.rawValue) end
            redis.call('LPUSH', KEYS[2], entry)
            redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
            redis.call('HSET', KEYS[4], 'timestamp', ARGV[12], 'author', ARGV[13], 'description', description)
            return {status, snapshot()}
            """)

    /// ARGV: prefix, log count, log cap, key, timestamp, author, entry text before the name, entry text after it,
    /// description. Returns `{3, snapshot, name}`, `{-1}` for an unknown key, `{-4, children}` while it has children.
    static let delete = RedisScript(
        snapshotFunction + """
            local prefix, key = ARGV[1], ARGV[4]
            if redis.call('SISMEMBER', KEYS[1], key) == 0 then return {\(Status.missing.rawValue)} end
            local children = {}
            for _, other in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              if redis.call('HGET', prefix .. other, 'parent') == key then children[#children + 1] = other end
            end
            if #children > 0 then return {\(Status.hasChildren.rawValue), children} end
            local item = prefix .. key
            local name = redis.call('HGET', item, 'name') or key
            redis.call('DEL', item)
            redis.call('SREM', KEYS[1], key)
            redis.call('INCR', KEYS[3])
            redis.call('LPUSH', KEYS[2], ARGV[7] .. cjson.encode(name) .. ARGV[8])
            redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
            redis.call('HSET', KEYS[4], 'timestamp', ARGV[5], 'author', ARGV[6], 'description', ARGV[9])
            return {\(Status.deleted.rawValue), snapshot(), name}
            """)
}
