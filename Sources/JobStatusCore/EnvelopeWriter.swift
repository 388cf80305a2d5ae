public import NIOCore

/// Writes response envelopes straight into a `ByteBuffer`: no intermediate model, no encoder.
///
/// The shapes are the eHealth API's (see `docs/api.md`): `{"data": …, "meta": …}` for a job and
/// `{"error": {"type", "message"}, "meta": …}` for a request that fails. Stored JSON fields have
/// been validated by `JobReadOutcome` and are copied verbatim; every other text is escaped.
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
        buffer.writeStaticString(#"{"data":{"status":""#)
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
        buffer.writeStaticString("},")
        self.writeMeta(code: job.httpStatus, meta: meta, into: &buffer)
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
            buffer.writeStaticString(#"","params":[],"description":""#)
            buffer.writeStaticString(invalid.description)
            buffer.writeStaticString(#""}]}]"#)
        }
        buffer.writeStaticString("},")
        self.writeMeta(code: code, meta: meta, into: &buffer)
    }

    private static func writeMeta(code: Int, meta: EnvelopeMeta, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#""meta":{"code":"#)
        buffer.writeString(String(code))
        buffer.writeStaticString(#","url":""#)
        buffer.writeJSONStringContents(meta.scheme)
        buffer.writeStaticString("://")
        buffer.writeJSONStringContents(meta.host)
        buffer.writeJSONStringContents(meta.path)
        buffer.writeStaticString(#"","type":"object","request_id":"#)
        buffer.writeJSONString(meta.requestID)
        buffer.writeStaticString("}}")
    }
}
