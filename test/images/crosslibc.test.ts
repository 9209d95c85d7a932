// The wrong binary for the image's libc, as a user who copies the wrong file sees it: the kernel
// cannot find the program's loader, so execve says ENOENT for a file that is plainly there.
// runc and the shells print that as "no such file or directory" / "not found". The root without
// glibc is Debian's musl (loader and libc, as Alpine has) plus a static busybox; it has no
// libstdc++, so the musl build gets as far as musl's loader, which names what is missing. That
// is as far as a musl build runs here: Debian has no musl libstdc++ (no musl run is faked).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runcHost } from "../support/runc.ts";
import { buildImage, type Image } from "./image.ts";

const host = runcHost();
afterAll(() => host.remove());

describe("the glibc build in a root without glibc (an Alpine-like musl root)", () => {
  let image: Image;
  beforeAll(() => {
    image = buildImage("FROM alpine\nCOPY --from=sbx:0.1.0 /sbx /usr/local/bin/sbx\nCOPY --from=sbx:0.1.0 /sbx-musl /usr/local/bin/sbx-musl\n", "amd64", { alpine: "musl-amd64" });
  });
  afterAll(() => image?.remove());

  test("the root has musl's loader and no glibc one", () => {
    expect(existsSync(join(image.rootfs, "lib/ld-musl-x86_64.so.1"))).toBe(true);
    expect(existsSync(join(image.rootfs, "lib64/ld-linux-x86-64.so.2"))).toBe(false);
  });

  test("as the entrypoint: runc says `exec /usr/local/bin/sbx: no such file or directory`", () => {
    const r = host.container({ rootfs: image.rootfs, args: ["sbx", "--version"], caps: [] });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("exec /usr/local/bin/sbx: no such file or directory\n");
  });

  test("from a shell (busybox): `sh: sbx: not found`, exit 127", () => {
    const r = host.container({ rootfs: image.rootfs, args: ["sh", "-c", "sbx --version"], caps: [] });
    expect([r.code, r.stdout, r.stderr]).toEqual([127, "", "sh: sbx: not found\n"]);
  });

  test("the musl build there, without libstdc++: musl's loader names the missing library (apk add libstdc++), exit 127", () => {
    const r = host.container({ rootfs: image.rootfs, args: ["sbx-musl", "--version"], caps: [] });
    expect(r.code).toBe(127);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe("Error loading shared library libstdc++.so.6: No such file or directory (needed by /usr/local/bin/sbx-musl)");
  });
});

describe("the musl build in a glibc root (Debian)", () => {
  let image: Image;
  beforeAll(() => {
    image = buildImage("FROM debian:bookworm-slim\nCOPY --from=sbx:0.1.0 /sbx-musl /usr/local/bin/sbx\n", "amd64", { "debian:bookworm-slim": "debian-amd64" });
  });
  afterAll(() => image?.remove());

  test("as the entrypoint: `exec /usr/local/bin/sbx: no such file or directory`", () => {
    const r = host.container({ rootfs: image.rootfs, args: ["sbx", "--version"], caps: [] });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, "", "exec /usr/local/bin/sbx: no such file or directory\n"]);
  });

  test("from a shell (dash): `sh: 1: sbx: not found`, exit 127", () => {
    const r = host.container({ rootfs: image.rootfs, args: ["sh", "-c", "sbx --version"], caps: [] });
    expect([r.code, r.stdout, r.stderr]).toEqual([127, "", "sh: 1: sbx: not found\n"]);
  });
});
