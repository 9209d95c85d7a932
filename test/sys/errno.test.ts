// errno must be the failing call's, read right after it on the same thread, even under GC and
// allocation pressure between calls.
import { describe, expect, test } from "bun:test";
import { EINVAL, ENOENT, EPERM, Errno } from "../../src/sys/errno.ts";
import { capbsetRead, prctl } from "../../src/sys/prctl.ts";
import { chdir, gettid } from "../../src/sys/process.ts";
import { getresuid } from "../../src/sys/creds.ts";
import { capget } from "../../src/sys/capset.ts";

describe("libc layer", () => {
  test("FFI calls run on the main thread (tid = pid)", () => {
    expect(gettid()).toBe(process.pid);
  });

  test("a failing prctl reports EINVAL, 20 000 times under allocation pressure", () => {
    const junk: unknown[] = [];
    for (let i = 0; i < 20_000; i++) {
      const r = capbsetRead(200 + (i % 50));
      if (r.ok || r.errno !== EINVAL) throw new Error(`iteration ${i}: ${JSON.stringify(r)}`);
      junk.push({ i, s: "x".repeat(i % 97) });
      if (i % 1000 === 0) Bun.gc(false);
    }
    expect(junk.length).toBe(20_000);
  });

  test("alternating failures keep their own errno", () => {
    for (let i = 0; i < 500; i++) {
      const a = chdir("/nonexistent/sbx");
      const b = prctl(9999);
      expect(a.ok ? 0 : a.errno).toBe(ENOENT);
      expect(b.ok ? 0 : b.errno).toBe(EINVAL);
    }
  });

  test("failures name the call and errno", () => {
    const r = prctl(23, 999);
    expect(r).toEqual({ ok: false, errno: EINVAL, call: "prctl(PR_CAPBSET_READ)" });
    expect(Errno.of(1)).toBe(EPERM); // interned: compared by identity with the named constants
    expect(Errno.of(1).name).toBe("EPERM");
    expect(Errno.of(4242).name).toBe("errno 4242");
  });

  test("reads agree with what node reports", () => {
    const ids = getresuid();
    expect(ids.ok && ids.value[1]).toBe(process.geteuid!());
    expect(capget().ok).toBe(true);
  });
});
