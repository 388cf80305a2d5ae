public import NIOCore

/// Writes response envelopes straight into a `ByteBuffer`: no intermediate model, no encoder.
///
/// The shapes are the eHealth API's (see `docs/api.md`): `{"data": …, "meta": …}` for a job,
/// `{"data": [{"id", …}], "meta": …}` for a job list, and `{"error": {"type", "message"}, "meta": …}`
/// for a request that fails. Stored JSON fields have
/// been validated by `JobReadOutcome` and are copied verbatim; every other text is escaped.
///
/// A stored field (`links`, `response_data`, `error`) is served 2 levels deep in a job's envelope
/// (`{"data":{"response_data":…}}`) and 3 in a job list's (`{"data":[{"response_data":…}]}`), so
/// a served document nests at most `JSONScanner.maximumDepth` + 3 = 100 levels, what clients'
/// parsers read. Nesting a field deeper here means lowering that bound.
public enum EnvelopeWriter {
    /// The path prefix of the link a pending job points to.
    public static let jobLinkPrefix: StaticString = "/api/jobs/"

    /// Writes the envelope of a job. `id` must be a valid `JobID`.
    public static func writeJob(
        _ job: JobReadResult,
        id: UnsafeRawBufferPointer,
        meta: EnvelopeMeta,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString(#"{"data":"#)
        self.writeData(job, id: id, listed: false, into: &buffer)
        buffer.writeStaticString(",")
        self.writeMeta(code: job.httpStatus, type: "object", meta: meta, into: &buffer)
    }

    /// Writes one item of a job list (`GET /api/jobs?ids=…`): `{"id": …}` followed by exactly
    /// the members of the `data` object a poll of that job carries, so a client parses one shape.
    public static func writeListItem(_ job: JobReadResult, id: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        self.writeData(job, id: id, listed: true, into: &buffer)
    }

    /// Writes a list item that carries no job: `{"id": …, "status": "not_found"}` (unknown,
    /// expired, malformed or someone else's) or `"error"` (its record breaks the contract). The id
    /// is echoed as the client sent it, escaped, since a malformed one may hold anything.
    public static func writeListItem(id: UnsafeRawBufferPointer, status: StaticString, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"id":"#)
        buffer.writeJSONString(id)
        buffer.writeStaticString(#","status":""#)
        buffer.writeStaticString(status)
        buffer.writeStaticString(#""}"#)
    }

    /// Writes the envelope of a job list: `{"data": [items], "meta": {… "type": "list" …}}`;
    /// `writeItems` writes the items (`writeListItem`), separated by commas.
    public static func writeList(meta: EnvelopeMeta, into buffer: inout ByteBuffer, writeItems: (inout ByteBuffer) -> Void) {
        buffer.writeStaticString(#"{"data":["#)
        writeItems(&buffer)
        buffer.writeStaticString("],")
        self.writeMeta(code: 200, type: "list", meta: meta, into: &buffer)
    }

    /// The `data` object of a job; `listed`: as a list item, led by the job's `id`.
    private static func writeData(_ job: JobReadResult, id: UnsafeRawBufferPointer, listed: Bool, into buffer: inout ByteBuffer) {
        if listed {
            // A valid id needs no escaping.
            buffer.writeStaticString(#"{"id":""#)
            buffer.writeBytes(id)
            buffer.writeStaticString(#"","status":""#)
        } else {
            buffer.writeStaticString(#"{"status":""#)
        }
        buffer.writeString(job.status.rawValue)
        buffer.writeStaticString(#"","eta":"#)
        if job.eta.isPublishedForm {
            buffer.writeJSONString(job.eta.text)
        } else {
            buffer.writeInteger(UInt8(ascii: "\""))
            RFC3339.writePublishedForm(milliseconds: job.eta.millisecondsSinceEpoch, into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        if let statusCode = job.statusCode {
            buffer.writeStaticString(#","status_code":"#)
            buffer.writeJSONString(statusCode)
        }
        switch job.body {
        case .ownLink:
            buffer.writeStaticString(#","links":[{"entity":"job","href":""#)
            buffer.writeStaticString(Self.jobLinkPrefix)
            buffer.writeBytes(id)
            buffer.writeStaticString(#""}]"#)
        case .links(let links):
            buffer.writeStaticString(#","links":"#)
            buffer.writeBytes(links)
        case .responseData(let responseData):
            buffer.writeStaticString(#","response_data":"#)
            buffer.writeBytes(responseData)
        case .error(let error):
            buffer.writeStaticString(#","error":"#)
            buffer.writeBytes(error)
        }
        buffer.writeStaticString("}")
    }

    /// Writes the envelope of a request that failed: `{"error": {"type", "message"}, "meta"}`,
    /// with the `invalid` list of a `validation_failed` error when `invalid` is given.
    public static func writeError(
        code: Int,
        type: StaticString,
        message: String,
        invalid: InvalidEntry? = nil,
        meta: EnvelopeMeta,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString(#"{"error":{"type":""#)
        buffer.writeStaticString(type)
        buffer.writeStaticString(#"","message":"#)
        buffer.writeJSONString(message)
        if let invalid {
            buffer.writeStaticString(#","invalid":[{"entry_type":""#)
            buffer.writeStaticString(invalid.entryType)
            buffer.writeStaticString(#"","entry":""#)
            buffer.writeStaticString(invalid.entry)
            buffer.writeStaticString(#"","rules":[{"rule":""#)
            buffer.writeStaticString(invalid.rule)
            buffer.writeStaticString(#"","params":[],"description":"#)
            buffer.writeJSONString(invalid.description)
            buffer.writeStaticString(#"}]}]"#)
        }
        buffer.writeStaticString("},")
        self.writeMeta(code: code, type: "object", meta: meta, into: &buffer)
    }

    /// `type`: `object` for one job or an error, `list` for a job list.
    private static func writeMeta(code: Int, type: StaticString, meta: EnvelopeMeta, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#""meta":{"code":"#)
        buffer.writeString(String(code))
        buffer.writeStaticString(#","url":""#)
        buffer.writeJSONStringContents(meta.scheme)
        buffer.writeStaticString("://")
        buffer.writeJSONStringContents(meta.host)
        buffer.writeJSONStringContents(meta.path)
        buffer.writeStaticString(#"","type":""#)
        buffer.writeStaticString(type)
        buffer.writeStaticString(#"","request_id":"#)
        buffer.writeJSONString(meta.requestID)
        buffer.writeStaticString("}}")
    }
}
