// Builds SOCK_DIAG_BY_FAMILY dump requests and the INET_DIAG_REQ_BYTECODE port filter that runs
// in the kernel. Pure Swift (no Foundation, no C shim), like NetlinkDumpParser.

public enum InetDiagRequest {
  /// inet_diag_bc_op codes (include/uapi/linux/inet_diag.h).
  public enum Op: UInt8 {
    case jump = 1, sourcePortAtLeast = 2, sourcePortAtMost = 3, destinationPortAtLeast = 4,
      destinationPortAtMost = 5, sourceCondition = 7, destinationCondition = 8
  }

  /// One port comparison (S_GE, S_LE, D_GE, D_LE): two inet_diag_bc_op, the port in the second's `no`.
  public static let comparisonSize = 8

  /// Half of every socket for a dump split in two (docs/performance.md), by the
  /// ephemeral port: `upper` = local OR remote port >= `split`; otherwise both ports < `split`.
  /// Together the halves hold every socket exactly once. Layouts (offsets in bytes):
  /// - upper: S_GE{yes 8, no 12} JMP{yes 4, no 12} D_GE{yes 8, no 12}: S_GE true falls onto the
  ///   jump to the end (accept); false skips it to D_GE, whose yes ends exactly (accept) and whose
  ///   no overshoots by 4 (reject). The jump keeps D_GE on the `yes` chain the kernel's audit walks.
  /// - lower: S_LE{yes 8, no 20} D_LE{yes 8, no 12}: both must hold; either no overshoots.
  public static func portSplitBytecode(split: UInt16, upper: Bool) -> [UInt8] {
    var bytes: [UInt8] = []
    func comparison(_ op: Op, yes: UInt8, no: UInt16, port: UInt16) {
      bytes.append(op.rawValue)
      bytes.append(yes)
      appendU16(&bytes, no)
      bytes.append(0)
      bytes.append(0)
      appendU16(&bytes, port)
    }
    if upper {
      comparison(.sourcePortAtLeast, yes: 8, no: 12, port: split)
      bytes.append(Op.jump.rawValue)
      bytes.append(UInt8(jumpSize))
      appendU16(&bytes, 12)
      comparison(.destinationPortAtLeast, yes: 8, no: 12, port: split)
    } else {
      let below = split &- 1
      comparison(.sourcePortAtMost, yes: 8, no: 20, port: below)
      comparison(.destinationPortAtMost, yes: 8, no: 12, port: below)
    }
    return bytes
  }

  /// Size of one S_COND/D_COND op: inet_diag_bc_op (4) + inet_diag_hostcond (8) with
  /// family AF_UNSPEC, so no address bytes.
  public static let conditionSize = 12
  public static let jumpSize = 4
  /// Bytecode offsets are u16 and the attribute length too: past this many ports, filter in
  /// user space instead.
  public static let maxKernelFilterPorts = 1800

  /// Port filter: accept a socket whose local OR remote port is any of `ports`.
  ///
  /// Layout for conditions c1...cn (two per port: source, then destination), joined like
  /// iproute2 joins `or`:  c1 J c2 J ... J cn
  /// - ci: yes = 12 (fall through to the next op), no = 16 (skip ci's J, try c(i+1)).
  ///   The last cn: yes = 12 runs off the end exactly = accept; no = 16 = len + 4 = reject.
  /// - J after ci (reached when ci matched): unconditional, yes = 4, no = bytes to the end =
  ///   accept.
  /// The kernel's audit walks the `yes` chain, so every op stays reachable that way.
  /// Returns an empty array for no ports.
  public static func portFilterBytecode(ports: [UInt16]) -> [UInt8] {
    var unique: [UInt16] = []
    for port in ports.sorted() where unique.last != port { unique.append(port) }
    if unique.isEmpty { return [] }
    let conditions = unique.count * 2
    let total = conditions * conditionSize + (conditions - 1) * jumpSize
    var bytes: [UInt8] = []
    bytes.reserveCapacity(total)
    var index = 0
    for port in unique {
      for op in [Op.sourceCondition, Op.destinationCondition] {
        let isLast = index == conditions - 1
        // inet_diag_bc_op { u8 code; u8 yes; u16 no }
        bytes.append(op.rawValue)
        bytes.append(UInt8(conditionSize))
        appendU16(&bytes, UInt16(conditionSize + jumpSize))
        // inet_diag_hostcond { u8 family = AF_UNSPEC; u8 prefix_len = 0; pad[2]; int port }
        bytes.append(0)
        bytes.append(0)
        bytes.append(0)
        bytes.append(0)
        appendU32(&bytes, UInt32(port))
        if !isLast {
          let remainingFromJump = total - bytes.count
          bytes.append(Op.jump.rawValue)
          bytes.append(UInt8(jumpSize))
          appendU16(&bytes, UInt16(remainingFromJump))
        }
        index += 1
      }
    }
    return bytes
  }

  /// A complete netlink message: nlmsghdr + inet_diag_req_v2 asking for INET_DIAG_INFO
  /// (+ an INET_DIAG_REQ_BYTECODE attribute when `bytecode` is not empty).
  public static func dumpRequest(family: UInt8, states: UInt32, sequence: UInt32, bytecode: [UInt8])
    -> [UInt8]
  {
    message(type: NetlinkConstants.sockDiagByFamily, bodySize: NetlinkConstants.inetDiagReqV2Size, sequence: sequence, bytecode: bytecode) { bytes in
      appendReqV2Head(&bytes, family: family, states: states)
      bytes.append(contentsOf: repeatElement(0, count: 48))  // inet_diag_sockid: match anything
    }
  }

  /// idiag_ext asking for INET_DIAG_INFO (struct tcp_info).
  static let extInfo = UInt8(1 << (NetlinkConstants.inetDiagInfo - 1))

  /// The first 8 bytes of struct inet_diag_req_v2 (TCP, asking for INET_DIAG_INFO); the
  /// inet_diag_sockid follows.
  static func appendReqV2Head(_ bytes: inout [UInt8], family: UInt8, states: UInt32) {
    bytes.append(family)
    bytes.append(NetlinkConstants.ipprotoTCP)
    bytes.append(extInfo)  // idiag_ext
    bytes.append(0)  // pad
    appendU32(&bytes, states)  // idiag_states
  }

  /// The single-walk request: nlmsghdr (type TCPDIAG_GETSOCK) + the v1 struct inet_diag_req
  /// (u8 family = AF_UNSPEC, u8 src_len, u8 dst_len, u8 ext, inet_diag_sockid, u32 states,
  /// u32 dbs), + the same INET_DIAG_REQ_BYTECODE attribute. The kernel's compat path dumps
  /// every TCP socket of both families in one walk of the hash table.
  public static func allFamiliesDumpRequest(states: UInt32, sequence: UInt32, bytecode: [UInt8]) -> [UInt8] {
    message(type: NetlinkConstants.tcpDiagGetSock, bodySize: NetlinkConstants.inetDiagReqV1Size, sequence: sequence, bytecode: bytecode) { bytes in
      // struct inet_diag_req
      bytes.append(NetlinkConstants.afUnspec)  // idiag_family (the compat dump ignores it)
      bytes.append(0)  // idiag_src_len
      bytes.append(0)  // idiag_dst_len
      bytes.append(extInfo)  // idiag_ext
      bytes.append(contentsOf: repeatElement(0, count: 48))  // inet_diag_sockid: match anything
      appendU32(&bytes, states)
      appendU32(&bytes, 0)  // idiag_dbs
    }
  }

  /// nlmsghdr (a dump request to the kernel unless `flags` says otherwise) + the request body
  /// `writeBody` appends (`bodySize` bytes) + the INET_DIAG_REQ_BYTECODE attribute when
  /// `bytecode` is not empty.
  static func message(
    type: UInt16, flags: UInt16 = NetlinkConstants.flagRequest | NetlinkConstants.flagDump, bodySize: Int,
    sequence: UInt32, bytecode: [UInt8], writeBody: (inout [UInt8]) -> Void
  ) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(messageLength(bodySize: bodySize, bytecode: bytecode))
    appendMessage(
      type: type, flags: flags, bodySize: bodySize, sequence: sequence, bytecode: bytecode, to: &bytes,
      writeBody: writeBody)
    return bytes
  }

  static func messageLength(bodySize: Int, bytecode: [UInt8]) -> Int {
    let attributeLength = bytecode.isEmpty ? 0 : NetlinkConstants.rtattrHeaderSize + bytecode.count
    return NetlinkConstants.headerSize + bodySize + NetlinkConstants.align4(attributeLength)
  }

  /// `message`, appended to `bytes` (several requests batched into one send()).
  static func appendMessage(
    type: UInt16, flags: UInt16, bodySize: Int, sequence: UInt32, bytecode: [UInt8], to bytes: inout [UInt8],
    writeBody: (inout [UInt8]) -> Void
  ) {
    let length = messageLength(bodySize: bodySize, bytecode: bytecode)
    let end = bytes.count + length
    // struct nlmsghdr
    appendU32(&bytes, UInt32(length))
    appendU16(&bytes, type)
    appendU16(&bytes, flags)
    appendU32(&bytes, sequence)
    appendU32(&bytes, 0)  // nlmsg_pid: the kernel
    writeBody(&bytes)
    if !bytecode.isEmpty {
      appendU16(&bytes, UInt16(NetlinkConstants.rtattrHeaderSize + bytecode.count))
      appendU16(&bytes, NetlinkConstants.inetDiagReqBytecode)
      bytes.append(contentsOf: bytecode)
      while bytes.count < end { bytes.append(0) }
    }
  }

  // Host byte order, as the kernel reads these fields.
  @inline(__always) static func appendU16(_ bytes: inout [UInt8], _ v: UInt16) {
    withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
  }

  @inline(__always) static func appendU32(_ bytes: inout [UInt8], _ v: UInt32) {
    withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
  }
}
