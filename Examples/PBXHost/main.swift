// A PBX firewall manager embedding GeoFilter: load the last good country data (or the bundled
// copy), compile the admin's policy, enforce it, and every week update the data and re-apply.
//
//   swift run pbx-host-example [--cache DIR] [--netns NAME] [--source SPEC] [--once]
//
// Run it as root (CAP_NET_ADMIN), best in a scratch namespace: `ip netns add test` then
// `--netns test`.
import Foundation
import GeoFilterBundledData
import GeoFilterCore

@main
struct PBXHost {
    static func main() async {
        let options = Options(CommandLine.arguments.dropFirst())
        GeoFilterBundledData.register()  // the fallback when the cache is empty or damaged
        let updater = DataUpdater(cacheDirectory: options.cache)
        let backend = NftablesBackend(namespace: options.namespace)  // or IPSetBackend(namespace:)
        let schedule = UpdateSchedule.weekly  // Sunday 03:00

        // What the admin chose in the PBX's UI.
        let policy: GeoPolicy
        do {
            policy = try GeoPolicy(
                mode: .blockSelected, countries: "CN,RU,KP,@AF,-ZA",
                trusted: ["192.168.0.0/16", "10.0.0.0/8"], providers: ["81.2.69.0/24"])
        } catch {
            return fail("policy: \(error)")
        }
        let probe = await backend.probe()
        guard probe.available else { return fail("firewall unavailable: \(probe.message)") }

        while true {
            // 1. Update when due (the first run always checks; a 304 costs almost nothing).
            let manifest = try? updater.cache.manifest()
            let now = Int64(Date().timeIntervalSince1970)
            if schedule.isDue(lastSuccess: manifest?.checkedAt, now: now) {
                do {
                    let source = try UpdateSource(spec: options.source, now: now)
                    let result = try await updater.update(source) { event in
                        if case .receiving(_, let received, let total?) = event { print("download \(received * 100 / max(total, 1))%") }
                    }
                    print("data \(result.outcome.rawValue): \(result.manifest.figures.ipv4Ranges) IPv4 ranges")
                } catch {
                    // The last good copy stays in use; say so in the UI and try again next time.
                    print("update failed, keeping the last good copy: \(error)")
                }
            }

            // 2. Load the last good copy, compile, apply (a no-op when nothing changed).
            do {
                let loaded = try DataCache.load(directory: options.cache)
                if case .bundledUnusableCache(let reason) = loaded.origin { print("cache unusable (\(reason)); using bundled data") }
                let plan = try FirewallPlan(policy: policy, database: loaded.database)
                switch try await backend.apply(plan) {
                case .applied(let digest), .updated(let digest, _, _): print("enforcing sha256:\(digest)")
                case .unchanged: print("firewall already current")
                }
                let status = try await backend.status()
                print("dropped so far: \(status.droppedPackets) packets")
            } catch {
                // The previous plan stays in force; report it.
                print("apply failed, previous rules stay in force: \(error)")
            }

            if options.once { return }
            // 3. Sleep until the next update is due (a real host would use its own timer).
            let next = schedule.nextRun(lastSuccess: (try? updater.cache.manifest())?.checkedAt, now: Int64(Date().timeIntervalSince1970))
            try? await Task.sleep(for: .seconds(max(60, next - Int64(Date().timeIntervalSince1970))))
        }
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data("pbx-host-example: \(message)\n".utf8))
        exit(1)
    }
}

/// `--cache DIR`, `--netns NAME`, `--source SPEC`, `--once`.
struct Options {
    var cache = "/var/lib/geofilter"
    var namespace = NetworkNamespace.current
    var source = "dbip-lite"
    var once = false

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--cache": cache = iterator.next() ?? cache
            case "--netns": namespace = iterator.next().map { .named($0) } ?? .current
            case "--source": source = iterator.next() ?? source
            case "--once": once = true
            default: PBXHost.fail("unknown argument \(argument)")
            }
        }
    }
}
