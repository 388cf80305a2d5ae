import JobStatusCore
import Testing

@Suite("Durations in flags and configuration")
struct DurationTextTests {
    @Test("units")
    func units() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("90s") == .seconds(90))
        #expect(DurationText.parse("90") == .seconds(90))
        #expect(DurationText.parse("15m") == .seconds(900))
        #expect(DurationText.parse("24h") == .seconds(86_400))
        #expect(DurationText.parse("7d") == .seconds(604_800))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse(" 2s ") == .seconds(2))
        #expect(DurationText.parse("36500d") == DurationText.maximum)
    }

    @Test("rejects", arguments: ["", "s", "10x", "-1s", "1 s", "ten", "1h30m", "99999999999999999999", "99999999999999999999s", "36501d", "1e999"])
    func rejects(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("formatting picks the largest exact unit")
    func format() {
        #expect(DurationText.format(.seconds(604_800)) == "7d")
        #expect(DurationText.format(.seconds(90)) == "90s")
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
    }

    @Test("whole seconds round up")
    func roundUp() {
        #expect(Duration.milliseconds(1001).wholeSecondsRoundedUp == 2)
        #expect(Duration.seconds(3).wholeSecondsRoundedUp == 3)
    }
}
