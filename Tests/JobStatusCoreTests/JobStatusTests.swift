import JobStatusCore
import Testing

@Suite("States and transitions")
struct JobStatusTests {
    @Test("only pending moves on; terminal states are final")
    func transitions() {
        for next in JobStatus.allCases {
            #expect(JobStatus.pending.allowsTransition(to: next))
            for terminal in JobStatus.allCases where terminal.isTerminal {
                #expect(!terminal.allowsTransition(to: next))
            }
        }
        #expect(!JobStatus.pending.isTerminal)
    }

    @Test("stored status bytes are recognised exactly")
    func parsing() {
        for status in JobStatus.allCases {
            #expect(withBytes(status.rawValue) { JobStatus(bytes: $0) } == status)
        }
        for text in ["Pending", "done", "", "failed_with_errors", "processed "] {
            #expect(withBytes(text) { JobStatus(bytes: $0) } == nil)
        }
    }

    @Test("the write script is embedded and knows every operation")
    func script() {
        for operation in ["create", "progress", "processed", "failed", "failed_with_error"] {
            #expect(WriteScript.source.contains("\(operation) = {"))
        }
        for code in ["INVALID", "EXISTS", "NOTFOUND", "REFUSED", "TOOLARGE"] {
            #expect(WriteScript.source.contains("'\(code)'"))
        }
    }
}

@Suite("Record defaults")
struct RecordDefaultsTests {
    @Test("the TTL defaults are the write script's own constants, read from it: 24 h pending, 7 d terminal")
    func fromTheScript() {
        #expect(RecordDefaults.pendingTTL == .seconds(86_400))
        #expect(RecordDefaults.terminalTTL == .seconds(604_800))
        #expect(WriteScript.source.contains("local DEFAULT_PENDING_TTL = 86400\n"))
        #expect(RecordDefaults.defaultETA == .seconds(60))
    }

    @Test("the limits the writer checks before the script are the script's own: 64 KiB of payload, ten years of TTL")
    func limitsFromTheScript() {
        #expect(WriteScript.maximumPayloadBytes == 65_536)
        #expect(WriteScript.maximumTTLSeconds == 315_360_000)
    }
}
