import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection's requests out of its bytes, however they were split or batched across reads:
/// the HTTP/1.1 request syntax of RFC 9112, strict where leniency would let two readers of the
/// same bytes disagree on where a request ends.
///
/// Written for the poll path rather than taken from NIOHTTP1, whose decoder (llhttp behind a
/// `ByteToMessageHandler`, a callback per header and a pipeline hop per part) cost about a
/// tenth of the front's CPU per poll. It knows only what the front needs: a head becomes a
/// `RequestHead`, with strings for only the lines the front reads; a body, framed by
/// `Content-Length` or chunked, is skipped unread; the end of each request is an event of its own.
///
/// Pulled, not pushed (`append`, then `next` until nil): whatever a consumer does between two
/// events cannot interleave with a parse in progress, and bytes appended meanwhile are parsed
/// after those before them.
///
/// What it refuses (`HTTPRequestRefusal`, a 400 or a 431, then the connection closes): a request
/// line that is not `method SP target SP HTTP/1.x`; LF without CR; obs-fold; a blank before a
/// header's colon; controls in names or values; a `Content-Length` that is not one decimal
/// number; a `Transfer-Encoding` whose last coding is not `chunked`, or one beside a
/// `Content-Length`; a malformed chunk; a head or trailer over `maxHeadSize`, complete or not.
/// Empty lines before a request line are skipped (RFC 9112 §2.2), and count toward its head.
///
/// Work and memory are bounded by the bytes received: a head's end is looked for once per byte
/// however it trickles in, and what is kept between reads is at most `maxHeadSize` bytes (or a
/// chunk line's 4 KiB) and the read that went past them.
struct HTTPRequestParser {
    enum Event {
        case head(RequestHead)
        /// The request's body (if any) has been read: the next byte starts another request.
        case end
        /// The bytes are not HTTP/1.1: nothing more is parsed on this connection.
        case refused(HTTPRequestRefusal)

        var isEnd: Bool {
            if case .end = self { return true }
            return false
        }
    }

    /// How a request's body is delimited.
    enum BodyFraming {
        case none
        case length(Int)
        case chunked
    }

    /// Where the parser is in the byte stream. Offsets count from the first unparsed byte.
    enum State {
        /// In a head: its current line begins at `lineStart`; LFs were looked for up to `scanned`;
        /// `skipped` bytes of empty lines came before it (they count toward `maxHeadSize`).
        case head(skipped: Int, lineStart: Int, scanned: Int)
        /// In a body of known length; at 0 the request's end is due.
        case body(remaining: Int)
        /// At a chunk-size line; LFs were looked for up to `scanned`.
        case chunkSize(scanned: Int)
        case chunkData(remaining: Int)
        /// After a chunk's data, where its CRLF must be.
        case chunkEnd
        /// In the trailer section after the last chunk, `size` bytes of it read so far.
        case trailer(scanned: Int, size: Int)
        case refused
    }

    /// The longest chunk-size line taken, extensions included.
    static let maxChunkLine = 4096
    private static let noBytes = ByteBuffer()

    /// The largest head (request line, headers, blank line), and the largest trailer section.
    let maxHeadSize: Int
    private var state = State.head(skipped: 0, lineStart: 0, scanned: 0)
    /// Bytes received and not yet parsed.
    private var buffer = HTTPRequestParser.noBytes
    /// Whether `buffer` is storage of the parser's own rather than a read's buffer, which is not
    /// kept past `next` returning nil, so the channel's receive buffer is free for its next read.
    private var ownsBuffer = false

    /// The bytes kept between reads: the start of an incomplete head or line, never a body (for
    /// the tests of its bound).
    var bufferedBytes: Int { self.buffer.readableBytes }

    init(maxHeadSize: Int) {
        self.maxHeadSize = maxHeadSize
    }

    /// Takes the readable bytes of `bytes`; `next` parses them.
    mutating func append(_ bytes: ByteBuffer) {
        if case .refused = self.state { return }
        guard self.buffer.readableBytes > 0 else {
            self.buffer = bytes
            self.ownsBuffer = false
            return
        }
        if !self.ownsBuffer { self.keepOwnCopy() }
        var bytes = bytes
        self.buffer.writeBuffer(&bytes)
    }

    /// The next event the bytes received so far make, or nil until more bytes come.
    mutating func next() -> Event? {
        while true {
            switch self.state {
            case .refused:
                // `refuse` dropped what was kept, and `append` takes nothing more.
                return nil
            case .body(remaining: 0):
                self.state = .head(skipped: 0, lineStart: 0, scanned: 0)
                return .end
            case .head, .body, .chunkSize, .chunkData, .chunkEnd, .trailer:
                break
            }
            guard self.buffer.readableBytes > 0 else {
                self.buffer = Self.noBytes
                self.ownsBuffer = false
                return nil
            }
            switch self.step() {
            case .continue:
                continue
            case .needMore:
                if !self.ownsBuffer {
                    self.keepOwnCopy()
                } else if self.buffer.readerIndex > self.buffer.capacity / 2 {
                    self.buffer.discardReadBytes()
                }
                return nil
            case .event(let event):
                return event
            }
        }
    }

    private enum Step {
        case `continue`
        case needMore
        case event(Event)
    }

    private mutating func step() -> Step {
        switch self.state {
        case .head(let skipped, let lineStart, let scanned):
            return self.scanHead(skipped: skipped, lineStart: lineStart, scanned: scanned)
        case .body(let remaining):
            self.state = .body(remaining: remaining - self.skip(upTo: remaining))
            return .continue
        case .chunkSize(let scanned):
            return self.scanChunkSize(scanned: scanned)
        case .chunkData(let remaining):
            let left = remaining - self.skip(upTo: remaining)
            self.state = left == 0 ? .chunkEnd : .chunkData(remaining: left)
            return .continue
        case .chunkEnd:
            return self.scanChunkEnd()
        case .trailer(let scanned, let size):
            return self.scanTrailer(scanned: scanned, size: size)
        case .refused:
            return .needMore
        }
    }

    private mutating func refuse(_ refusal: HTTPRequestRefusal) -> Step {
        self.state = .refused
        self.buffer = Self.noBytes
        self.ownsBuffer = false
        return .event(.refused(refusal))
    }

    // MARK: - Heads

    private mutating func scanHead(skipped: Int, lineStart: Int, scanned: Int) -> Step {
        var skipped = skipped
        var lineStart = lineStart
        var from = scanned
        while true {
            switch self.findLineEnd(from: from) {
            case .bareLF:
                return self.refuse(.lineEnding)
            case .notYet(let searched):
                guard skipped + searched <= self.maxHeadSize else { return self.refuse(.headTooLarge) }
                self.state = .head(skipped: skipped, lineStart: lineStart, scanned: searched)
                return .needMore
            case .found(let lf):
                guard skipped + lf < self.maxHeadSize else { return self.refuse(.headTooLarge) }
                guard lf - 1 == lineStart else {
                    lineStart = lf + 1
                    from = lf + 1
                    continue
                }
                guard lineStart > 0 else {
                    // An empty line before the request line: skipped, but counted.
                    self.buffer.moveReaderIndex(forwardBy: 2)
                    skipped += 2
                    from = 0
                    continue
                }
                let parsed = self.buffer.withUnsafeReadableBytes { bytes in
                    Result { () throws(HTTPRequestRefusal) in
                        try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[0..<lineStart]))
                    }
                }
                switch parsed {
                case .failure(let refusal):
                    return self.refuse(refusal)
                case .success(let parsed):
                    self.buffer.moveReaderIndex(forwardBy: lf + 1)
                    switch parsed.framing {
                    case .none: self.state = .body(remaining: 0)
                    case .length(let length): self.state = .body(remaining: length)
                    case .chunked: self.state = .chunkSize(scanned: 0)
                    }
                    return .event(.head(parsed.head))
                }
            }
        }
    }

    // MARK: - Chunked bodies

    private mutating func scanChunkSize(scanned: Int) -> Step {
        switch self.findLineEnd(from: scanned) {
        case .bareLF:
            return self.refuse(.lineEnding)
        case .notYet(let searched):
            guard searched <= Self.maxChunkLine else { return self.refuse(.chunk) }
            self.state = .chunkSize(scanned: searched)
            return .needMore
        case .found(let lf):
            guard lf < Self.maxChunkLine else { return self.refuse(.chunk) }
            let size = self.buffer.withUnsafeReadableBytes { bytes in
                Self.chunkSize(UnsafeRawBufferPointer(rebasing: bytes[0..<(lf - 1)]))
            }
            guard let size else { return self.refuse(.chunk) }
            self.buffer.moveReaderIndex(forwardBy: lf + 1)
            self.state = size == 0 ? .trailer(scanned: 0, size: 0) : .chunkData(remaining: size)
            return .continue
        }
    }

    private mutating func scanChunkEnd() -> Step {
        let bytes = self.buffer.readableBytesView
        guard bytes.first == HTTPBytes.cr else { return self.refuse(.chunk) }
        guard bytes.count >= 2 else { return .needMore }
        guard bytes[bytes.startIndex + 1] == HTTPBytes.lf else { return self.refuse(.lineEnding) }
        self.buffer.moveReaderIndex(forwardBy: 2)
        self.state = .chunkSize(scanned: 0)
        return .continue
    }

    private mutating func scanTrailer(scanned: Int, size: Int) -> Step {
        switch self.findLineEnd(from: scanned) {
        case .bareLF:
            return self.refuse(.lineEnding)
        case .notYet(let searched):
            guard size + searched <= self.maxHeadSize else { return self.refuse(.headTooLarge) }
            self.state = .trailer(scanned: searched, size: size)
            return .needMore
        case .found(let lf):
            guard size + lf < self.maxHeadSize else { return self.refuse(.headTooLarge) }
            if lf == 1 {
                self.buffer.moveReaderIndex(forwardBy: 2)
                self.state = .body(remaining: 0)
                return .continue
            }
            let valid = self.buffer.withUnsafeReadableBytes { bytes in
                (try? Self.headerLine(UnsafeRawBufferPointer(rebasing: bytes[0...lf]), at: 0)) != nil
            }
            guard valid else { return self.refuse(.chunk) }
            self.buffer.moveReaderIndex(forwardBy: lf + 1)
            self.state = .trailer(scanned: 0, size: size + lf + 1)
            return .continue
        }
    }

    // MARK: - Lines and buffers

    /// Passes over up to `count` bytes of a body, unread; returns how many it passed.
    private mutating func skip(upTo count: Int) -> Int {
        let skipped = min(count, self.buffer.readableBytes)
        self.buffer.moveReaderIndex(forwardBy: skipped)
        return skipped
    }

    private enum LineEnd {
        /// The line's LF is at this offset (a CR precedes it).
        case found(Int)
        /// No LF yet: every byte up to this offset was looked at.
        case notYet(Int)
        /// A LF without a CR before it.
        case bareLF
    }

    /// The first LF at or after `from`.
    private func findLineEnd(from: Int) -> LineEnd {
        self.buffer.withUnsafeReadableBytes { bytes in
            guard from < bytes.count, let base = bytes.baseAddress,
                let found = memchr(base + from, Int32(HTTPBytes.lf), bytes.count - from)
            else { return .notYet(bytes.count) }
            let lf = base.distance(to: UnsafeRawPointer(found))
            return lf > 0 && bytes[lf - 1] == HTTPBytes.cr ? .found(lf) : .bareLF
        }
    }

    /// Moves the unparsed bytes into storage of the parser's own, where the next read is appended.
    private mutating func keepOwnCopy() {
        var own = ByteBufferAllocator().buffer(capacity: max(self.buffer.readableBytes * 2, 1024))
        own.writeBuffer(&self.buffer)
        self.buffer = own
        self.ownsBuffer = true
    }
}
