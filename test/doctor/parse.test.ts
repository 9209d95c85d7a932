import { ENODATA } from "../../src/sys/errno.ts";
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatFileCaps, formatIdMap, isInitialUserNs, parseFileCaps, parseIdMap, parseLabel, parseLsmList,
} from "../../src/doctor/parse.ts";
import { getxattr } from "../../src/sys/xattr.ts";
import { requireTools } from "../support/privileged.ts";
import { run } from "../support/sbx.ts";

describe("uid_map", () => {
  test("the initial namespace's identity map", () => {
    const map = parseIdMap("         0          0 4294967295\n")!;
    expect(map).toEqual([{ inside: 0, outside: 0, count: 4294967295 }]);
    expect(isInitialUserNs(map)).toBe(true);
  });

  test("unshare -r, rootless podman and a full-range but shifted map are user namespaces", () => {
    for (const text of ["0 0 1\n", "0 1000 1\n1 100000 65536\n", "0 1 4294967295\n", "0 0 4294967294\n"]) {
      expect(isInitialUserNs(parseIdMap(text)!)).toBe(false);
    }
    expect(formatIdMap(parseIdMap("0 1000 1\n1 100000 65536\n")!)).toBe("0 1000 1, 1 100000 65536");
  });

  test("an empty map (namespace not yet mapped) is a user namespace too", () => {
    expect(parseIdMap("")).toEqual([]);
    expect(isInitialUserNs([])).toBe(false);
    expect(formatIdMap([])).toBe("empty");
  });

  test("malformed lines are rejected, not guessed", () => {
    for (const text of ["0 0\n", "0 0 1 2\n", "a 0 1\n", "0 -1 1\n"]) expect(parseIdMap(text)).toBeUndefined();
  });
});

describe("LSM attributes", () => {
  test("labels lose their trailing NUL and newline", () => {
    expect(parseLabel("docker-default (enforce)\n")).toBe("docker-default (enforce)");
    expect(parseLabel("system_u:system_r:container_t:s0:c1,c2\0")).toBe("system_u:system_r:container_t:s0:c1,c2");
    expect(parseLabel("\n")).toBeUndefined();
  });

  test("the active list", () => {
    expect(parseLsmList("lockdown,capability,landlock,yama,apparmor")).toEqual(["lockdown", "capability", "landlock", "yama", "apparmor"]);
    expect(parseLsmList("")).toEqual([]);
  });
});

/** struct vfs_cap_data: magic_etc then (permitted, inheritable) pairs, little-endian. */
function capData(magic: number, words: number[]): Uint8Array {
  const b = new Uint8Array(4 + 4 * words.length);
  const d = new DataView(b.buffer);
  d.setUint32(0, magic, true);
  words.forEach((w, i) => d.setUint32(4 + 4 * i, w, true));
  return b;
}

describe("security.capability", () => {
  test("v2 with the effective bit: cap_setuid=ep", () => {
    const fc = parseFileCaps(capData(0x02000001, [1 << 7, 0, 0, 0]))!;
    expect(fc).toEqual({ permitted: 1n << 7n, inheritable: 0n, effective: true, rootid: null });
    expect(formatFileCaps(fc)).toBe("cap_setuid=ep");
  });

  test("caps above 31 live in the second word", () => {
    const fc = parseFileCaps(capData(0x02000000, [0, 0, 1 << (38 - 32), 1 << (39 - 32)]))!;
    expect(formatFileCaps(fc)).toBe("cap_perfmon=p cap_bpf=i");
  });

  test("v1 (32-bit) and v3 (namespaced, with rootid)", () => {
    expect(formatFileCaps(parseFileCaps(capData(0x01000001, [1 << 13, 1 << 13]))!)).toBe("cap_net_raw=eip");
    const v3 = parseFileCaps(capData(0x03000001, [1 << 7, 0, 0, 0, 1000]))!;
    expect(v3.rootid).toBe(1000);
    expect(formatFileCaps(v3)).toBe("cap_setuid=ep [rootid=1000]");
  });

  test("a size that does not match the revision, or an unknown revision, is malformed", () => {
    expect(parseFileCaps(capData(0x02000000, [0, 0]))).toBeUndefined();
    expect(parseFileCaps(capData(0x04000000, [0, 0, 0, 0]))).toBeUndefined();
    expect(parseFileCaps(new Uint8Array(2))).toBeUndefined();
  });

  test("reading the xattr of a real file agrees with getcap", () => {
    requireTools("setcap", "getcap");
    const dir = mkdtempSync(join(tmpdir(), "sbx-fcaps-"));
    const file = join(dir, "f");
    writeFileSync(file, "");
    try {
      for (const spec of ["cap_setuid+ep", "cap_chown,cap_kill+eip", "cap_net_raw,cap_sys_admin+p", "cap_bpf+ei"]) {
        expect(run(["setcap", spec, file]).code).toBe(0);
        const x = getxattr(file, "security.capability");
        if (!x.ok) throw new Error(`getxattr: ${x.errno.name}`);
        expect(`${file} ${formatFileCaps(parseFileCaps(x.value)!)}\n`).toBe(run(["getcap", file]).stdout);
      }
      expect(run(["setcap", "-r", file]).code).toBe(0);
      const none = getxattr(file, "security.capability");
      expect(none.ok ? "present" : none.errno).toBe(ENODATA);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
