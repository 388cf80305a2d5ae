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
        buffer.writeBounded(maximumBytes: Self.maximumDataCount(job, id: id) + Self.maximumMetaCount(meta)) { output in
            output.write(#"{"data":"#)
            self.writeData(job, id: id, listed: false, into: &output)
            output.write(",")
            self.writeMeta(code: job.httpStatus, type: "object", meta: meta, into: &output)
        }
    }

    /// Writes one item of a job list (`GET /api/jobs?ids=…`): `{"id": …}` followed by exactly
    /// the members of the `data` object a poll of that job carries, so a client parses one shape.
    public static func writeListItem(_ job: JobReadResult, id: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        buffer.writeBounded(maximumBytes: Self.maximumDataCount(job, id: id)) { self.writeData(job, id: id, listed: true, into: &$0) }
    }

    /// Writes a list item that carries no job: `{"id": …, "status": "not_found"}` (unknown,
    /// expired, malformed or someone else's) or `"error"` (its record breaks the contract). The id
    /// is echoed as the client sent it, escaped, since a malformed one may hold anything.
    public static func writeListItem(id: UnsafeRawBufferPointer, status: StaticString, into buffer: inout ByteBuffer) {
        buffer.writeBounded(maximumBytes: Self.literalSlack + BoundedOutput.maximumEscapedCount(id.count) + status.utf8CodeUnitCount) { output in
            output.write(#"{"id":"#)
            output.writeJSONString(id)
            output.write(#","status":""#)
            output.write(status)
            output.write(#""}"#)
        }
    }

    /// Writes the envelope of a job list: `{"data": [items], "meta": {… "type": "list" …}}`;
    /// `writeItems` writes the items (`writeListItem`), separated by commas.
    public static func writeList(meta: EnvelopeMeta, into buffer: inout ByteBuffer, writeItems: (inout ByteBuffer) -> Void) {
        buffer.writeStaticString(#"{"data":["#)
        writeItems(&buffer)
        buffer.writeBounded(maximumBytes: Self.maximumMetaCount(meta)) { output in
            output.write("],")
            self.writeMeta(code: 200, type: "list", meta: meta, into: &output)
        }
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
        var maximum = Self.literalSlack + type.utf8CodeUnitCount + BoundedOutput.maximumEscapedCount(message.utf8.count) + Self.maximumMetaCount(meta)
        if let invalid {
            maximum += Self.literalSlack + invalid.entryType.utf8CodeUnitCount + invalid.entry.utf8CodeUnitCount + invalid.rule.utf8CodeUnitCount
                + BoundedOutput.maximumEscapedCount(invalid.description.utf8.count)
        }
        buffer.writeBounded(maximumBytes: maximum) { output in
            output.write(#"{"error":{"type":""#)
            output.write(type)
            output.write(#"","message":"#)
            output.writeJSONString(message)
            if let invalid {
                output.write(#","invalid":[{"entry_type":""#)
                output.write(invalid.entryType)
                output.write(#"","entry":""#)
                output.write(invalid.entry)
                output.write(#"","rules":[{"rule":""#)
                output.write(invalid.rule)
                output.write(#"","params":[],"description":"#)
                output.writeJSONString(invalid.description)
                output.write(#"}]}]"#)
            }
            output.write("},")
            self.writeMeta(code: code, type: "object", meta: meta, into: &output)
        }
    }

    /// More than the fixed text of any one part of an envelope (member names, brackets, the
    /// published form of a time, a status): each part's bound adds it to what varies.
    private static let literalSlack = 160

    /// The most bytes `writeData` writes for this job.
    private static func maximumDataCount(_ job: JobReadResult, id: UnsafeRawBufferPointer) -> Int {
        var maximum = Self.literalSlack + 2 * id.count + BoundedOutput.maximumEscapedCount(job.eta.text.count)
        if let statusCode = job.statusCode { maximum += BoundedOutput.maximumEscapedCount(statusCode.count) }
        switch job.body {
        case .ownLink: break
        case .links(let bytes, _), .responseData(let bytes), .error(let bytes): maximum += bytes.count
        }
        return maximum
    }

    /// The most bytes `writeMeta` writes for this request.
    private static func maximumMetaCount(_ meta: EnvelopeMeta) -> Int {
        Self.literalSlack + BoundedOutput.maximumDecimalCount
            + BoundedOutput.maximumEscapedCount(meta.scheme.utf8.count + meta.host.utf8.count + meta.path.utf8.count + meta.requestID.utf8.count)
    }

    /// The `data` object of a job; `listed`: as a list item, led by the job's `id`.
    private static func writeData(_ job: JobReadResult, id: UnsafeRawBufferPointer, listed: Bool, into output: inout BoundedOutput) {
        if listed {
            // A valid id needs no escaping.
            output.write(#"{"id":""#)
            output.write(id)
            output.write(#"","status":""#)
        } else {
            output.write(#"{"status":""#)
        }
        output.write(job.status.rawValue)
        output.write(#"","eta":"#)
        if job.eta.isPublishedForm {
            output.writeJSONString(job.eta.text)
        } else {
            output.write(byte: UInt8(ascii: "\""))
            RFC3339.writePublishedForm(milliseconds: job.eta.millisecondsSinceEpoch, into: &output)
            output.write(byte: UInt8(ascii: "\""))
        }
        if let statusCode = job.statusCode {
            output.write(#","status_code":"#)
            output.writeJSONString(statusCode)
        }
        switch job.body {
        case .ownLink:
            output.write(#","links":[{"entity":"job","href":""#)
            output.write(Self.jobLinkPrefix)
            output.write(id)
            output.write(#""}]"#)
        case .links(let links, _):
            output.write(#","links":"#)
            output.write(links)
        case .responseData(let responseData):
            output.write(#","response_data":"#)
            output.write(responseData)
        case .error(let error):
            output.write(#","error":"#)
            output.write(error)
        }
        output.write("}")
    }

    /// `type`: `object` for one job or an error, `list` for a job list.
    private static func writeMeta(code: Int, type: StaticString, meta: EnvelopeMeta, into output: inout BoundedOutput) {
        output.write(#""meta":{"code":"#)
        output.writeDecimal(code)
        output.write(#","url":""#)
        output.writeJSONStringContents(meta.scheme)
        output.write("://")
        output.writeJSONStringContents(meta.host)
        output.writeJSONStringContents(meta.path)
        output.write(#"","type":""#)
        output.write(type)
        output.write(#"","request_id":"#)
        output.writeJSONString(meta.requestID)
        output.write("}}")
    }
}
