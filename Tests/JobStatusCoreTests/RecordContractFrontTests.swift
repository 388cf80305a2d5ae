import Foundation
import JobStatusCore
import JobStatusTestSupport
import Testing

/// The front's side of the record contract's vectors (`Tests/Vectors/record-contract.json`), with
/// no Redis: what the front's checks say of the record each vector would store, the id vectors,
/// and the limits both sides share. The script's side of the same vectors runs end to end
/// (`RecordContractVectorTests`).
@Suite("The record contract's vectors: the front's side")
struct RecordContractFrontTests {
    static let pendingETA = "2026-06-30T10:00:00.000Z"

    @Test("the limits in the vectors are the front's: TTL, payload, JSON depth, eta length")
    func limits() throws {
        let vectors = try ContractVectors.load()
        #expect(vectors.maximumTTLSeconds == WriteScript.maximumTTLSeconds)
        #expect(vectors.maximumPayloadBytes == WriteScript.maximumPayloadBytes)
        #expect(vectors.maximumJSONDepth == JSONScanner.maximumDepth)
        #expect(vectors.maximumETABytes == RFC3339.maximumLength)
    }

    @Test("every write vector about the record: the front serves what the script accepts and refuses what it refuses")
    func writes() throws {
        let vectors = try ContractVectors.load()
        var compared = 0
        var problems: [String] = []
        for vector in vectors.writes {
            guard let front = Self.frontSays(vector) else { continue }
            compared += 1
            if front != vector.isAccepted {
                problems.append("\(vector.name): the front's checks \(front ? "accept" : "refuse") what the script \(vector.isAccepted ? "accepts" : "refuses")")
            }
        }
        print("record contract, the front's side: \(compared) of \(vectors.writes.count) write vectors compared, \(problems.count) disagreements")
        #expect(compared > 0)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("every id vector: JobID.isValid says what the vector says")
    func ids() throws {
        let vectors = try ContractVectors.load()
        #expect(!vectors.ids.isEmpty)
        for id in vectors.ids {
            #expect(JobID.isValid(id.id) == id.valid, "\(id.name)")
        }
    }

    /// What the front's checks say of the record the vector's argument would make, if the script
    /// stored it unchecked; nil for vectors about the call rather than the record (TTLs, owner,
    /// argument rules, sizes).
    static func frontSays(_ vector: ContractVectors.Write) -> Bool? {
        let eta = Array(Self.pendingETA.utf8)
        switch vector.op {
        case "create", "progress":
            guard let text = vector.argument("eta"), vector.argument("ttl") == nil, vector.argument("owner") == nil, vector.args.count == 1 else {
                return nil
            }
            return frontVerdict([.status: Array("pending".utf8), .eta: text]).isServed
        case "processed":
            guard vector.argument("ttl") == nil, vector.verdict != "TOOLARGE" else { return nil }
            var fields: [JobRecordField: [UInt8]] = [.status: Array("processed".utf8), .eta: eta]
            fields[.statusCode] = vector.argument("status_code") ?? Array("200".utf8)
            let links = vector.argument("links")
            let data = vector.argument("response_data")
            guard (links == nil) != (data == nil) else { return nil }
            fields[.links] = links
            fields[.responseData] = data
            return frontVerdict(fields).isServed
        case "failed":
            guard let code = vector.argument("status_code"), let error = vector.argument("error") else { return nil }
            // What the script would store: a 409 or 500 string wrapped as the live system shows it.
            var stored = error
            if JSONScanner.validate(String(decoding: error, as: UTF8.self)) == .string {
                let trimmed = String(decoding: error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if code == Array("409".utf8) { stored = Array(#"{"type":"request_conflict","message":\#(trimmed)}"#.utf8) }
                if code == Array("500".utf8) { stored = Array(#"{"type":"internal_error","message":\#(trimmed)}"#.utf8) }
            }
            return frontVerdict([.status: Array("failed".utf8), .eta: eta, .statusCode: code, .error: stored]).isServed
        case "failed_with_error":
            guard let message = vector.argument("message"), !message.isEmpty else { return nil }
            let error = Array(#"{"type":"internal_error","message":"#.utf8) + Self.jsonString(message) + Array("}".utf8)
            return frontVerdict([.status: Array("failed_with_error".utf8), .eta: eta, .statusCode: Array("500".utf8), .error: error]).isServed
        default:
            return nil
        }
    }

    /// Bytes as a JSON string, escaping quotes, backslashes and control characters only.
    static func jsonString(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }
}
