/// Reads RFC 3339 timestamps (`2026-11-28T10:45:16.000Z`, `2026-11-28T12:45:16+02:00`) as
/// milliseconds since the epoch, without Foundation: the front turns a job's eta into
/// `Retry-After` on every pending poll. Writes the one form the published job schema allows, so
/// an eta stored with an offset still answers in that form.
public enum RFC3339 {
    /// The years the published form can write.
    public static let writableMilliseconds: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// The most fraction digits taken: nanoseconds, the finest any client's time type holds. The
    /// front parses a stored eta on every poll, and an unbounded fraction (8 MB of digits) cost
    /// each poll ~40 ms. The write script takes no more (`MAX_FRACTION_DIGITS`).
    public static let maximumFractionDigits = 9

    /// The longest valid text, `2026-06-30T10:00:00.123456789+02:00`: anything longer is refused
    /// before a byte of it is read (`MAX_ETA_BYTES` in the write script).
    public static let maximumLength = 35

    /// Whether `bytes` have the published form's shape, `YYYY-MM-DDTHH:MM:SS.f…Z` in UTC with one
    /// to six fraction digits and seconds 00–59 (digits and separators only;
    /// `millisecondsSinceEpoch` checks the values). An eta of this shape is emitted as stored.
    /// Second 60 is not: Python's datetime and Go's time.Parse refuse it, so a leap second, in
    /// this shape as in every other, is rewritten as the next minute's first.
    static func hasPublishedShape(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 22, bytes.count <= 27, bytes[bytes.count - 1] == UInt8(ascii: "Z"),
            bytes[17] <= UInt8(ascii: "5")
        else { return false }
        for (index, byte) in bytes.dropLast().enumerated() {
            let expected: UInt8? =
                switch index {
                case 4, 7: UInt8(ascii: "-")
                case 10: UInt8(ascii: "T")
                case 13, 16: UInt8(ascii: ":")
                case 19: UInt8(ascii: ".")
                default: nil
                }
            if let expected {
                guard byte == expected else { return false }
            } else {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return false }
            }
        }
        return true
    }

    /// Writes `milliseconds` since the epoch as `2026-11-28T10:45:16.000Z` (UTC, milliseconds).
    static func writePublishedForm(milliseconds: Int64, into output: inout BoundedOutput) {
        let clamped = min(max(milliseconds, self.writableMilliseconds.lowerBound), self.writableMilliseconds.upperBound)
        let (days, millisecondOfDay) = Self.floorDivide(clamped, 86_400_000)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                output.write(byte: UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        output.write(byte: UInt8(ascii: "-"))
        digits(month, 2)
        output.write(byte: UInt8(ascii: "-"))
        digits(day, 2)
        output.write(byte: UInt8(ascii: "T"))
        digits(millisecondOfDay / 3_600_000, 2)
        output.write(byte: UInt8(ascii: ":"))
        digits(millisecondOfDay / 60_000 % 60, 2)
        output.write(byte: UInt8(ascii: ":"))
        digits(millisecondOfDay / 1000 % 60, 2)
        output.write(byte: UInt8(ascii: "."))
        digits(millisecondOfDay % 1000, 3)
        output.write(byte: UInt8(ascii: "Z"))
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// The civil date of a day count from 1970-01-01: the inverse of `daysSinceEpoch`.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The instant an RFC 3339 `date-time` names: `T` or `t`, `Z`, `z` or a `±hh:mm` offset, a
    /// fraction of one to nine digits, a real calendar date, hours 00–23, minutes 00–59, seconds
    /// 00–60 (a leap second counts as the next minute's first), at most `maximumLength` bytes.
    /// The write script applies the same rules; `Tests/Vectors/record-contract.json` holds the
    /// cases both are tested against.
    public static func millisecondsSinceEpoch(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard bytes.count <= Self.maximumLength else { return nil }
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(4), reader.skip("-"), let month = reader.number(2), reader.skip("-"),
            let day = reader.number(2), reader.skip("T") || reader.skip("t"),
            let hour = reader.number(2), reader.skip(":"), let minute = reader.number(2), reader.skip(":"),
            let second = reader.number(2),
            (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var milliseconds: Int64 = 0
        if reader.skip(".") {
            var scale: Int64 = 100
            var digits = 0
            while let digit = reader.digit() {
                milliseconds += Int64(digit) * scale
                scale /= 10
                digits += 1
            }
            guard digits > 0, digits <= Self.maximumFractionDigits else { return nil }
        }
        var offsetMinutes: Int64 = 0
        if reader.skip("Z") || reader.skip("z") {
            // UTC
        } else if let sign = reader.sign(), let offsetHour = reader.number(2), reader.skip(":"), let offsetMinute = reader.number(2),
            offsetHour < 24, offsetMinute < 60
        {
            offsetMinutes = sign * Int64(offsetHour * 60 + offsetMinute)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let days = Self.daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offsetMinutes * 60
        return seconds * 1000 + milliseconds
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given civil date (proleptic Gregorian calendar).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private struct DigitReader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        var atEnd: Bool { self.position == self.bytes.count }

        mutating func digit() -> Int? {
            guard self.position < self.bytes.count else { return nil }
            let byte = self.bytes[self.position]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            self.position += 1
            return Int(byte - UInt8(ascii: "0"))
        }

        mutating func number(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let digit = self.digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: character) else { return false }
            self.position += 1
            return true
        }

        mutating func sign() -> Int64? {
            if self.skip("+") { return 1 }
            if self.skip("-") { return -1 }
            return nil
        }
    }
}
