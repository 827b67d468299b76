// Swift Testing, parameterised: names users type on the command line and in the TUI.
import KatopModel
import Testing

@Suite("Names users type")
struct ProfileAndStateNameTests {
  @Test("every profile in middleboxes.md resolves with its idle timeout", arguments: [
    ("aws", 350), ("azure", 240), ("gcp-nat", 1200), ("gcp-vpc", 600), ("cgnat", 300),
    ("conntrack", 432_000), ("linux-conntrack", 432_000), ("AWS", 350),
  ])
  func profile(name: String, seconds: Int) throws {
    let p = try #require(MiddleboxProfile.named(name))
    #expect(p.idleTimeoutSeconds == seconds)
  }

  @Test("unknown profiles are refused", arguments: ["", "nowhere", "aws ", "gcp"])
  func unknownProfile(name: String) {
    #expect(MiddleboxProfile.named(name) == nil)
  }

  @Test("state names: kernel, lower case and ss spellings", arguments: [
    ("ESTABLISHED", TCPState.established), ("estab", .established), ("close-wait", .closeWait),
    ("CLOSE_WAIT", .closeWait), ("time-wait", .timeWait), ("listen", .listen), ("syn-recv", .synRecv),
  ])
  func stateName(text: String, state: TCPState) {
    #expect(TCPState(name: text) == state)
  }

  @Test("profile cycling visits every profile and comes back")
  func cycle() {
    var p = MiddleboxProfile.aws
    var seen: [String] = []
    for _ in MiddleboxProfile.all {
      seen.append(p.name)
      p = p.next
    }
    #expect(p == .aws)
    #expect(Set(seen) == Set(MiddleboxProfile.all.map(\.name)))
    #expect(MiddleboxProfile.custom(seconds: 2).next == MiddleboxProfile.all[0])
  }
}
