#!/usr/bin/python3
"""Minimal virtual LE-only HCI controller on /dev/vhci (kernel module hci_vhci).

The BlueZ VM test's controller (tests/platform/bluez-vm; see docs/bluez.md). It replaces btvirt,
whose reports carry RSSI 127 and come once per enable, so that RSSI handling, DuplicateData and
bluetoothd's signalling are tested against the real daemon with values we choose.

The controller is one LE-only "scanner" controller. It:
  * creates the controller with the vendor packet [0xff, 0x00] (HCI_VENDOR_PKT,
    HCI_PRIMARY); the kernel answers [0xff, 0x00, index_lo, index_hi];
  * answers every HCI command the kernel sends, with a Command Complete of the
    right length (unknown opcodes get status 0 only and are logged as UNKNOWN);
  * advertises no extended-advertising/scanning LE feature, so the kernel uses
    legacy LE Set Scan Parameters / LE Set Scan Enable;
  * while LE scanning is enabled, emits legacy LE Advertising Report events
    (0x3e / subevent 0x02, one report per event) for N fake advertisers, with
    per-device RSSI patterns, every --interval seconds per device.

Only stdlib; meant to run inside the TCG VM (python3 from Debian 12).

Log: stderr (one line per HCI command, scan state changes, and a per-second
report counter). On SIGTERM/SIGINT it writes --out (JSON: every report sent,
with guest CLOCK_MONOTONIC time, rssi, type, mfr counter) and prints
@@VHCI_* summary lines on stdout.
"""
import argparse
import json
import os
import select
import signal
import sys
import time

HCI_CMD_PKT, HCI_ACL_PKT, HCI_EVT_PKT, HCI_VENDOR_PKT = 0x01, 0x02, 0x04, 0xFF
EVT_CMD_COMPLETE, EVT_CMD_STATUS, EVT_LE_META = 0x0E, 0x0F, 0x3E
LE_ADV_REPORT = 0x02
ADV_IND, ADV_DIRECT_IND, ADV_SCAN_IND, ADV_NONCONN_IND, SCAN_RSP = 0, 1, 2, 3, 4

T0 = time.monotonic()
# When LE scanning was first enabled: "steps" patterns start there, so a scan that begins with the
# first enable sees the steps in their order (-70, then -50, then -65).
SCAN_ORIGIN = [None]


def log(*a):
    print("[vhci %8.3f]" % time.monotonic(), *a, file=sys.stderr, flush=True)


def addr_bytes(s):
    """'00:11:22:33:44:01' -> little-endian 6 bytes as on the HCI wire."""
    b = bytes(int(x, 16) for x in s.split(":"))
    assert len(b) == 6
    return b[::-1]


def ad(t, payload):
    return bytes([len(payload) + 1, t]) + payload


# ---------------------------------------------------------------- advertisers

class RssiPattern:
    """steps:-70/-50/-65@1.0  hold each value 1.0 s, cycle
       ramp:-80/-40/1         triangle -80..-40..-80, step 1 dB per report
       const:-60              constant
       walk:-75/3/7           random walk from -75, +-3 dB max per report, seed 7 (clamped -100..-30)"""

    def __init__(self, spec):
        self.spec = spec
        kind, _, arg = spec.partition(":")
        self.kind = kind
        if kind == "steps":
            vals, _, hold = arg.partition("@")
            self.vals = [int(v) for v in vals.split("/")]
            self.hold = float(hold or 1.0)
        elif kind == "ramp":
            lo, hi, step = (int(v) for v in arg.split("/"))
            up = list(range(lo, hi + 1, step))
            self.vals = up + up[-2:0:-1]
            self.i = 0
        elif kind == "const":
            self.vals = [int(arg)]
        elif kind == "walk":
            start, step, seed = (int(v) for v in arg.split("/"))
            self.cur, self.step = start, step
            self.rng = __import__("random").Random(seed)
        else:
            raise ValueError("bad rssi pattern " + spec)

    def next(self, t):
        if self.kind == "steps":
            origin = SCAN_ORIGIN[0] if SCAN_ORIGIN[0] is not None else T0
            return self.vals[int((t - origin) / self.hold) % len(self.vals)]
        if self.kind == "ramp":
            v = self.vals[self.i % len(self.vals)]
            self.i += 1
            return v
        if self.kind == "walk":
            self.cur = max(-100, min(-30, self.cur + self.rng.randint(-self.step, self.step)))
            return self.cur
        return self.vals[0]


class Advertiser:
    def __init__(self, name, addr, addr_type, pdu, rssi, company, mfr,
                 counter=False, interval=0.1, phase=0.0):
        self.name = name
        self.addr = addr
        self.addr_type = addr_type  # 0 public, 1 random
        self.addr_le = addr_bytes(addr)
        self.pdu = pdu  # "nonconn" (ADV_NONCONN_IND) or "ind" (ADV_IND + SCAN_RSP)
        self.rssi = RssiPattern(rssi)
        self.company = company
        self.mfr = bytes.fromhex(mfr)
        self.counter = counter  # append a 1-byte sequence counter to mfr data
        self.seq = 0
        self.interval = interval
        self.next_t = time.monotonic() + phase
        self.sent = []  # (t, rssi, evt_type, seq, reported 0/1)

    def adv_data(self, with_name):
        d = ad(0x01, bytes([0x06]))  # Flags: LE General Discoverable, BR/EDR not supported
        if with_name:
            d += ad(0x09, self.name.encode())  # Complete Local Name
        md = self.company.to_bytes(2, "little") + self.mfr
        if self.counter:
            md += bytes([self.seq & 0xFF])
        d += ad(0xFF, md)  # Manufacturer Specific Data
        assert len(d) <= 31, (self.name, len(d))
        return d

    def reports(self, t, active):
        """[(evt_type, data, rssi)] for one advertising event."""
        rssi = self.rssi.next(t)
        self.seq += 1
        if self.pdu == "nonconn":
            out = [(ADV_NONCONN_IND, self.adv_data(True), rssi)]
        else:
            out = [(ADV_IND, self.adv_data(False), rssi)]
            if active:  # active scanning: the scanner sent SCAN_REQ, we answer
                out.append((SCAN_RSP, ad(0x09, self.name.encode()), rssi))
        return out


def default_advertisers(interval):
    return [
        # public address, non-connectable, RSSI steps -70 -> -50 -> -65 (1 s each)
        Advertiser("SpikeStep", "00:11:22:33:44:01", 0, "nonconn", "steps:-70/-50/-65@1.0",
                   0x0059, "01020304", interval=interval, phase=0.00),
        # random static address, connectable ADV_IND + SCAN_RSP (name in scan response),
        # RSSI ramp 1 dB per report, 1-byte counter at the end of the manufacturer data
        Advertiser("SpikeRamp", "C3:22:33:44:55:02", 1, "ind", "ramp:-80/-40/1",
                   0xFFFF, "aa", counter=True, interval=interval, phase=interval / 3),
        # random static address, non-connectable, constant RSSI
        Advertiser("SpikeConst", "D4:33:44:55:66:03", 1, "nonconn", "const:-60",
                   0x0075, "0102", interval=interval, phase=2 * interval / 3),
    ]


def extra_advertisers(n, interval):
    """n more non-connectable advertisers on random static addresses, random-walk RSSI."""
    return [Advertiser("SpikeN%02d" % i, "E0:00:00:00:%02X:%02X" % (i >> 8, i & 0xFF), 1, "nonconn",
                       "walk:-75/3/%d" % i, 0xFFFE, "%04x" % i, interval=interval,
                       phase=interval * ((i * 7919) % 100) / 100.0) for i in range(n)]


def advertisers_from_json(path, interval):
    out = []
    with open(path) as f:
        for d in json.load(f):
            out.append(Advertiser(d["name"], d["addr"], 1 if d.get("random") else 0,
                                  d.get("pdu", "nonconn"), d.get("rssi", "const:-60"),
                                  int(str(d.get("company", "0xffff")), 0), d.get("mfr", ""),
                                  counter=d.get("counter", False),
                                  interval=d.get("interval", interval), phase=d.get("phase", 0.0)))
    return out


# ---------------------------------------------------------------- controller

OPNAMES = {
    0x0C01: "Set Event Mask", 0x0C03: "Reset", 0x0C63: "Set Event Mask Page 2",
    0x0C6D: "Write LE Host Supported", 0x0C6C: "Read LE Host Supported",
    0x1001: "Read Local Version", 0x1002: "Read Local Supported Commands",
    0x1003: "Read Local Supported Features", 0x1004: "Read Local Extended Features",
    0x1005: "Read Buffer Size", 0x1009: "Read BD_ADDR",
    0x2001: "LE Set Event Mask", 0x2002: "LE Read Buffer Size",
    0x2003: "LE Read Local Supported Features", 0x2005: "LE Set Random Address",
    0x2006: "LE Set Adv Parameters", 0x2007: "LE Read Adv Channel TX Power",
    0x2008: "LE Set Adv Data", 0x2009: "LE Set Scan Response Data", 0x200A: "LE Set Adv Enable",
    0x200B: "LE Set Scan Parameters", 0x200C: "LE Set Scan Enable",
    0x200D: "LE Create Connection", 0x200E: "LE Create Connection Cancel",
    0x200F: "LE Read Accept List Size", 0x2010: "LE Clear Accept List",
    0x2011: "LE Add Device To Accept List", 0x2012: "LE Remove Device From Accept List",
    0x2018: "LE Rand", 0x201C: "LE Read Supported States",
}


class Controller:
    def __init__(self, args, advs):
        self.args = args
        self.advs = advs
        self.bdaddr = addr_bytes(args.bdaddr)
        self.fd = None
        self.index = None
        self.scan_enabled = False
        self.scan_active = True
        self.filter_dup = 0
        self.dup_seen = set()
        self.cmd_log = []  # (t, opcode, name, params hex)
        self.scan_log = []  # (t, enabled, filter_dup, active)
        self.unknown = {}
        self.evt_errors = 0
        self.n_reports = 0
        self.last_tick = time.monotonic()
        self.tick_reports = 0

        self.features = bytearray(8)
        self.features[4] = 0x60  # BR/EDR Not Supported | LE Supported (Controller)
        self.le_features = bytearray(8)  # nothing: no ext adv/scan, no privacy, no DLE
        self.le_states = bytes([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0, 0])
        c = bytearray(64)
        c[5] |= 0x40 | 0x80  # Set Event Mask, Reset
        c[14] |= 0x08 | 0x10 | 0x20 | 0x80  # Read Local Version/Commands/Features, Read Buffer Size
        c[15] |= 0x02  # Read BD_ADDR
        c[25] |= 0x01 | 0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80  # LE Set Event Mask .. LE Set Adv Data
        c[26] |= 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80  # Scan Rsp Data .. Clear Accept List
        c[27] |= 0x01 | 0x02 | 0x80  # Add/Remove Accept List, LE Rand
        c[28] |= 0x08  # LE Read Supported States
        self.commands = bytes(c)

    # -- wire
    def send(self, pkt):
        try:
            os.write(self.fd, pkt)
            return True
        except OSError as e:  # e.g. ENXIO when the hdev is down
            self.evt_errors += 1
            if self.evt_errors <= 5:
                log("write failed:", e)
            return False

    def event(self, code, params):
        return self.send(bytes([HCI_EVT_PKT, code, len(params)]) + params)

    def cmd_complete(self, opcode, rparams):
        self.event(EVT_CMD_COMPLETE, bytes([1]) + opcode.to_bytes(2, "little") + rparams)

    def cmd_status(self, opcode, status=0):
        self.event(EVT_CMD_STATUS, bytes([status, 1]) + opcode.to_bytes(2, "little"))

    # -- commands
    def handle_cmd(self, opcode, p):
        name = OPNAMES.get(opcode)
        self.cmd_log.append((round(time.monotonic(), 4), "0x%04x" % opcode, name or "UNKNOWN", p.hex()))
        log("cmd 0x%04x %s %s" % (opcode, name or "UNKNOWN", p.hex()))
        S = b"\x00"
        if opcode == 0x0C03:  # Reset
            self.scan_enabled = False
            r = S
        elif opcode == 0x1001:  # Read Local Version
            # hci_ver 4.2 (0x08), hci_rev, lmp_ver, manufacturer 1521 (Linux Foundation), lmp_subver
            r = S + bytes([0x08]) + (0).to_bytes(2, "little") + bytes([0x08]) + \
                (1521).to_bytes(2, "little") + (0).to_bytes(2, "little")
        elif opcode == 0x1002:
            r = S + self.commands
        elif opcode == 0x1003:
            r = S + bytes(self.features)
        elif opcode == 0x1004:  # Read Local Extended Features (page, max_page, features)
            page = p[0] if p else 0
            r = S + bytes([page, 0]) + (bytes(self.features) if page == 0 else bytes(8))
        elif opcode == 0x1005:  # Read Buffer Size: acl_mtu, sco_mtu, acl_max_pkt, sco_max_pkt
            r = S + (192).to_bytes(2, "little") + b"\x00" + (1).to_bytes(2, "little") + b"\x00\x00"
        elif opcode == 0x1009:
            r = S + self.bdaddr
        elif opcode == 0x0C6C:  # Read LE Host Supported
            r = S + b"\x01\x00"
        elif opcode == 0x2002:  # LE Read Buffer Size: le_mtu, le_max_pkt
            r = S + (251).to_bytes(2, "little") + bytes([4])
        elif opcode == 0x2003:
            r = S + bytes(self.le_features)
        elif opcode == 0x2007:  # LE Read Adv Channel TX Power
            r = S + bytes([0])
        elif opcode == 0x200F:  # LE Read Accept List Size
            r = S + bytes([16])
        elif opcode == 0x2018:  # LE Rand
            r = S + os.urandom(8)
        elif opcode == 0x201C:
            r = S + self.le_states
        elif opcode == 0x200B:  # LE Set Scan Parameters: type, interval, window, own_addr_type, filter_policy
            if p:
                self.scan_active = p[0] == 0x01
            r = S
        elif opcode == 0x200C:  # LE Set Scan Enable: enable, filter_dup
            en = bool(p and p[0])
            self.filter_dup = p[1] if len(p) > 1 else 0
            if en and not self.scan_enabled:
                self.dup_seen.clear()
                if SCAN_ORIGIN[0] is None:
                    SCAN_ORIGIN[0] = time.monotonic()
            self.scan_enabled = en
            self.scan_log.append((round(time.monotonic(), 4), int(en), self.filter_dup, int(self.scan_active)))
            log("SCAN %s filter_dup=%d %s" % ("ENABLED" if en else "disabled", self.filter_dup,
                                              "active" if self.scan_active else "passive"))
            r = S
        elif opcode in (0x200D,):  # LE Create Connection: would need Command Status + Conn Complete
            self.cmd_status(opcode, 0x0C)  # Command Disallowed
            return
        elif opcode in OPNAMES:  # setters: status only
            r = S
        else:
            self.unknown[opcode] = self.unknown.get(opcode, 0) + 1
            r = S
        self.cmd_complete(opcode, r)

    # -- advertising reports
    def emit_reports(self, now):
        active = self.scan_active
        for a in self.advs:
            if now < a.next_t:
                continue
            # keep a fixed cadence; skip missed slots instead of bursting
            a.next_t += a.interval
            if a.next_t < now:
                a.next_t = now + a.interval
            reps = a.reports(now, active)
            for et, data, rssi in reps:
                if self.args.dup != "off" and self.filter_dup:
                    key = (a.addr, et) if self.args.dup == "addr" else (a.addr, et, data)
                    if key in self.dup_seen:
                        # on air, but filtered by the emulated controller duplicate filter
                        a.sent.append((round(now, 4), rssi, et, a.seq & 0xFF, 0))
                        continue
                    self.dup_seen.add(key)
                a.sent.append((round(now, 4), rssi, et, a.seq & 0xFF, 1))
                rep = bytes([1, et, a.addr_type]) + a.addr_le + bytes([len(data)]) + data + \
                    (rssi & 0xFF).to_bytes(1, "little")
                if self.event(EVT_LE_META, bytes([LE_ADV_REPORT]) + rep):
                    self.n_reports += 1
                    self.tick_reports += 1

    def next_deadline(self):
        if not self.scan_enabled:
            return None
        return min(a.next_t for a in self.advs)

    # -- main loop
    def run(self, fd=None):
        self.fd = os.open("/dev/vhci", os.O_RDWR) if fd is None else fd
        # HCI_VENDOR_PKT + HCI_PRIMARY: create the hci device right away
        # (otherwise hci_vhci does it by itself after 1 s)
        os.write(self.fd, bytes([HCI_VENDOR_PKT, 0x00]))
        log("vendor create packet written")
        while True:
            now = time.monotonic()
            if self.scan_enabled:
                self.emit_reports(now)
            if now - self.last_tick >= 1.0 and self.scan_enabled:
                log("reports/s %.1f total %d" % (self.tick_reports / (now - self.last_tick), self.n_reports))
                self.last_tick, self.tick_reports = now, 0
            dl = self.next_deadline()
            timeout = None if dl is None else max(0.0, dl - time.monotonic())
            r, _, _ = select.select([self.fd], [], [], timeout)
            if not r:
                continue
            pkt = os.read(self.fd, 4096)
            if not pkt:
                continue
            t = pkt[0]
            if t == HCI_VENDOR_PKT and len(pkt) >= 4:
                self.index = pkt[2] | (pkt[3] << 8)
                log("controller created: hci%d (vendor rsp %s)" % (self.index, pkt.hex()))
                print("@@VHCI_CREATED hci%d" % self.index, flush=True)
            elif t == HCI_CMD_PKT and len(pkt) >= 4:
                opcode = pkt[1] | (pkt[2] << 8)
                plen = pkt[3]
                self.handle_cmd(opcode, pkt[4:4 + plen])
                if not self.scan_enabled:
                    self.last_tick = time.monotonic()
            elif t == HCI_ACL_PKT:
                log("ACL packet ignored", pkt[:16].hex())
            else:
                log("packet ignored", pkt[:16].hex())

    def summary(self):
        print("@@VHCI_UNKNOWN_OPCODES %s" % {("0x%04x" % k): v for k, v in self.unknown.items()}, flush=True)
        print("@@VHCI_OPCODES_SEEN %s" % sorted({c[1] for c in self.cmd_log}), flush=True)
        print("@@VHCI_SCAN_LOG %s" % self.scan_log, flush=True)
        print("@@VHCI_REPORTS total=%d write_errors=%d" % (self.n_reports, self.evt_errors), flush=True)
        for a in self.advs:
            rs = [s[1] for s in a.sent if s[2] != SCAN_RSP and s[4]]
            print("@@VHCI_SENT %s %s adv_events=%d rssi_first20=%s" % (a.name, a.addr, len(rs), rs[:20]), flush=True)
        if self.args.out:
            out = {"cmd_log": self.cmd_log, "scan_log": self.scan_log, "unknown": {"0x%04x" % k: v for k, v in self.unknown.items()},
                   "advertisers": [{"name": a.name, "addr": a.addr, "addr_type": a.addr_type, "pdu": a.pdu,
                                    "rssi": a.rssi.spec, "interval": a.interval, "sent": a.sent} for a in self.advs]}
            with open(self.args.out, "w") as f:
                json.dump(out, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bdaddr", default="00:AA:01:00:00:42")
    ap.add_argument("--interval", type=float, default=0.1, help="seconds between advertising events per device")
    ap.add_argument("--devices", help="JSON file with a list of advertisers (see advertisers_from_json)")
    ap.add_argument("--dup", choices=["off", "addr", "data"], default="off",
                    help="honour LE Set Scan Enable filter_duplicates: off (report everything, default), "
                         "addr (once per address per scan enable), data (again when adv data changes)")
    ap.add_argument("--extra", type=int, default=0, help="add N non-connectable random-walk advertisers SpikeNxx")
    ap.add_argument("--out", help="write a JSON record of commands and reports here on exit")
    args = ap.parse_args()
    advs = advertisers_from_json(args.devices, args.interval) if args.devices else default_advertisers(args.interval)
    advs += extra_advertisers(args.extra, args.interval)
    ctl = Controller(args, advs)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        ctl.run()
    finally:
        ctl.summary()


if __name__ == "__main__":
    main()
