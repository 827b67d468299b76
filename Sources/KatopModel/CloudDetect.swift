// Profile `auto`: which cloud this machine runs in, from its DMI strings (the collector or the
// executable reads /sys/class/dmi/id; this is the pure decision). Values as cloud-init's ds-identify.

public struct DMIStrings: Hashable, Sendable {
  public var sysVendor = ""
  public var productName = ""
  public var chassisAssetTag = ""
  public var biosVendor = ""
  public var biosVersion = ""
  public init(sysVendor: String = "", productName: String = "", chassisAssetTag: String = "", biosVendor: String = "", biosVersion: String = "") {
    self.sysVendor = sysVendor
    self.productName = productName
    self.chassisAssetTag = chassisAssetTag
    self.biosVendor = biosVendor
    self.biosVersion = biosVersion
  }
}

public struct CloudDetection: Hashable, Sendable {
  /// The detected profile's name, or nil (then the budget is the conservative aws 350 s).
  public var detected: String?
  /// What it was detected from, e.g. `dmi: Amazon EC2`; "no cloud detected" otherwise.
  public var detectedFrom: String
  public var profile: MiddleboxProfile
}

public enum CloudDetect {
  public static let azureAssetTag = "7783-7084-3265-9085-8269-3286-77"

  public static func detect(_ d: DMIStrings?) -> CloudDetection {
    let fallback = CloudDetection(detected: nil, detectedFrom: "no cloud detected", profile: .aws)
    guard let d else { return fallback }
    func found(_ name: String, _ why: String) -> CloudDetection {
      CloudDetection(detected: name, detectedFrom: "dmi: \(why)", profile: MiddleboxProfile.named(name) ?? .aws)
    }
    if d.sysVendor == "Amazon EC2" || d.biosVendor == "Amazon EC2" { return found("aws", "Amazon EC2") }
    if d.sysVendor == "Xen" && d.biosVersion.lowercased().contains("amazon") { return found("aws", "Xen, bios \(d.biosVersion)") }
    if d.sysVendor == "Microsoft Corporation" && d.chassisAssetTag == azureAssetTag {
      return found("azure", "Microsoft Corporation, Azure asset tag")
    }
    if d.productName == "Google Compute Engine" || d.sysVendor == "Google" { return found("gcp-vpc", "Google Compute Engine") }
    return fallback
  }
}
