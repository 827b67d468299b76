// The flow-budget options (--path, --profile auto, --observe) turned into the model's FlowContext;
// the host facts they need (DMI, local addresses, namespace, conntrack sysctl) are read here.
import ArgumentParser
import FoundationEssentials
import Glibc
import KatopModel
import SockDiag

/// `--profile NAME`: a built-in profile or `auto` (the cloud from DMI).
enum ProfileChoice {
  case auto
  case named(MiddleboxProfile)
}

func parseProfileChoice(_ text: String) throws -> ProfileChoice {
  if text.lowercased() == "auto" { return .auto }
  return .named(try parseProfile(text))
}

func parsePathRule(_ text: String) throws -> PathRule {
  switch PathRule.parse(text) {
  case .success(let rule): return rule
  case .failure(let error): throw ValidationError(error.description)
  }
}

/// `--observe SECONDS`: 0.5-600, in ms.
func parseObserve(_ text: String) throws -> Int {
  guard let v = Double(text), v.isFinite, v >= 0.5, v <= 600 else {
    throw ValidationError("'\(text)' is not a number of seconds between 0.5 and 600")
  }
  return Int((v * 1000).rounded())
}

struct ProfileResolution {
  var profile: MiddleboxProfile
  var source: BudgetSource
  var detection: CloudDetection?
}

extension Katop {
  /// --idle-timeout, else --profile (conntrack with this namespace's own timeout), else auto.
  var profileResolution: ProfileResolution {
    if let s = idleTimeout { return ProfileResolution(profile: .custom(seconds: s), source: .idleTimeout) }
    switch profile {
    case .named(let p)?:
      if p.name == "conntrack", let t = HostFacts.conntrackEstablishedTimeout() {
        return ProfileResolution(profile: .conntrack(establishedTimeout: t), source: .profile)
      }
      return ProfileResolution(profile: p, source: .profile)
    case .auto?, nil:
      let dir = ProcessInfo.processInfo.environment["KATOP_DMI_DIR"] ?? "/sys/class/dmi/id"
      let d = CloudDetect.detect(HostFacts.dmi(dir: dir))
      return ProfileResolution(profile: d.profile, source: .profile, detection: d)
    }
  }

  func reportContext(_ resolution: ProfileResolution, activity: FlowActivity?) -> ReportContext {
    let hz = HostFacts.kernelHZFromConfig()
    var flow = FlowContext(
      rules: PathRules(path), profile: resolution.profile, profileSource: resolution.source,
      localAddresses: HostFacts.localAddresses(), activity: activity, hz: hz?.hz)
    flow.conntrack = HostFacts.conntrackEstablishedTimeout() == nil ? nil : Conntrack.dump()
    var context = ReportContext(flow: flow, detection: resolution.detection, netns: HostFacts.netns())
    context.kernelHZ = hz
    return context
  }

  /// With --observe: a first sample, the wait, and the activity seen between it and `collect`'s.
  func observeBeforeCollecting(_ collector: Collector) throws -> FlowActivity? {
    guard let ms = observe else { return nil }
    var activity = FlowActivity()
    let first = try collector.collect(request)
    activity.observe(first.sockets, nowMs: Clocks.monotonicMs())
    Clocks.sleep(ms: ms)
    return activity
  }
}
