import JobStatusCore
import NIOConcurrencyHelpers
import NIOCore

/// What the instance's subscriptions tell about each job they hold: the last version a write
/// announced and, for a pending job, its record as last read since.
///
/// A front that holds a job's subscription knows every write to it, so a record read while the
/// subscription held and not overtaken by an announced version is still the job's state: a held
/// job list answers from it instead of reading every job at each wake and each time it is asked
/// again. An announced version also tells a stale read (a replica behind its primary: the
/// subscriber and the command connection are not ordered with each other) from a current one.
/// Written by the `SubscriptionHub` on its loop, read by every loop's sessions.
final class JobVersionBook: Sendable {
    private struct Entry {
        /// Which continuous stretch of subscription this is; a read sent in another one is not kept.
        var epoch: UInt64
        var announced: Int64?
        var record: CachedRecord?
    }

    private struct Book {
        var entries: [String: Entry] = [:]
        var epochs: UInt64 = 0
    }

    private let book = NIOLockedValueBox(Book())

    /// How long a kept record answers: what changes a job without a write through the script (its
    /// TTL expiring, a `DEL`) shows within this time — the longest wait of a long poll by default
    /// (`polling.max_wait`), so a held list that keeps being woken reads each of its jobs at
    /// least as often as one that waits out its deadline would.
    static let maximumAge = TimeAmount.seconds(30)

    /// `key`'s subscription is in place (again): every later write to it is announced.
    func opened(_ key: String) {
        self.book.withLockedValue { book in
            book.epochs += 1
            book.entries[key] = Entry(epoch: book.epochs)
        }
    }

    /// `key`'s subscription ended or broke: writes are no longer seen.
    func closed(_ key: String) {
        _ = self.book.withLockedValue { $0.entries.removeValue(forKey: key) }
    }

    /// A write to `key` was published with `version`.
    func announced(_ key: String, version: Int64) {
        self.book.withLockedValue { book in
            guard var entry = book.entries[key] else { return }
            entry.announced = max(entry.announced ?? version, version)
            if let record = entry.record, record.version < version { entry.record = nil }
            book.entries[key] = entry
        }
    }

    /// The stretch of subscription a read of `key` sent now belongs to; nil: not subscribed.
    func epoch(of key: String) -> UInt64? {
        self.book.withLockedValue { $0.entries[key]?.epoch }
    }

    /// The highest version announced for `key` while subscribed.
    func announcedVersion(of key: String) -> Int64? {
        self.book.withLockedValue { $0.entries[key]?.announced }
    }

    /// Keeps `record`, read by a command sent during `epoch`, unless the subscription broke since
    /// or a newer version was announced.
    func remember(_ key: String, _ record: CachedRecord, epoch: UInt64) {
        self.book.withLockedValue { book in
            guard var entry = book.entries[key], entry.epoch == epoch, record.version >= (entry.announced ?? 0) else { return }
            entry.record = record
            book.entries[key] = entry
        }
    }

    /// The kept record of `key`, if it is still the job's state and younger than `maximumAge`.
    func record(of key: String, now: NIODeadline) -> CachedRecord? {
        self.book.withLockedValue { book in
            guard let record = book.entries[key]?.record, now - record.readAt < Self.maximumAge else { return nil }
            return record
        }
    }

    /// The number of jobs with a kept record (for tests).
    var recordCount: Int {
        self.book.withLockedValue { $0.entries.values.count { $0.record != nil } }
    }
}
