import { describe, expect, test } from "bun:test";
import { ancestors, replaceableBy, type PathNode } from "../../src/doctor/install.ts";

const n = (path: string, mode: number, uid = 0, gid = 0): PathNode => ({ path, mode, uid, gid });
const chain = (...dirs: PathNode[]) => dirs;
const safeDirs = chain(n("/usr/local/bin", 0o755), n("/usr/local", 0o755), n("/usr", 0o755), n("/", 0o755));

describe("replaceableBy", () => {
  test("a root-owned 0755 binary under root-owned 0755 directories is safe", () => {
    expect(replaceableBy(n("/usr/local/bin/sbx", 0o755), safeDirs)).toEqual([]);
  });

  test("the file: owner, group write, world write", () => {
    expect(replaceableBy(n("/usr/local/bin/sbx", 0o775, 1000, 1000), safeDirs)).toEqual([
      "/usr/local/bin/sbx is owned by uid 1000",
      "/usr/local/bin/sbx is writable by group 1000",
    ]);
    expect(replaceableBy(n("/usr/local/bin/sbx", 0o757), safeDirs)).toEqual(["/usr/local/bin/sbx is world-writable"]);
  });

  test("setuid and other non-write bits are not write access", () => {
    expect(replaceableBy(n("/usr/local/bin/sbx", 0o4555), safeDirs)).toEqual([]);
  });

  test("a writable or non-root directory anywhere above lets the binary be swapped", () => {
    const dirs = chain(n("/opt/sbx", 0o755), n("/opt", 0o777), n("/", 0o755));
    expect(replaceableBy(n("/opt/sbx/sbx", 0o755), dirs)).toEqual(["/opt is writable by group 0", "/opt is world-writable"]);
    const owned = chain(n("/home/u/bin", 0o755, 1000, 1000), n("/home/u", 0o700, 1000, 1000), n("/home", 0o755), n("/", 0o755));
    expect(replaceableBy(n("/home/u/bin/sbx", 0o755), owned)).toEqual(["/home/u/bin is owned by uid 1000", "/home/u is owned by uid 1000"]);
  });

  test("a sticky directory protects root-owned entries only", () => {
    const tmp = chain(n("/tmp", 0o1777), n("/", 0o755));
    expect(replaceableBy(n("/tmp/sbx", 0o755), tmp)).toEqual([]);
    expect(replaceableBy(n("/tmp/sbx", 0o755, 1000), tmp)).toEqual(["/tmp/sbx is owned by uid 1000", "/tmp is writable by group 0", "/tmp is world-writable"]);
    // A sticky directory that belongs to someone else is theirs to rearrange.
    expect(replaceableBy(n("/x/sbx", 0o755), chain(n("/x", 0o1777, 1000), n("/", 0o755)))).toEqual(["/x is owned by uid 1000"]);
  });

  test("a root-owned entry in a sticky dir is protected, but a writable dir above it is not", () => {
    const dirs = chain(n("/tmp/d", 0o755), n("/tmp", 0o1777), n("/", 0o777));
    expect(replaceableBy(n("/tmp/d/sbx", 0o755), dirs)).toEqual(["/ is writable by group 0", "/ is world-writable"]);
  });
});

test("ancestors run from the file's directory to /", () => {
  expect(ancestors("/usr/local/bin/sbx")).toEqual(["/usr/local/bin", "/usr/local", "/usr", "/"]);
  expect(ancestors("/sbx")).toEqual(["/"]);
});
