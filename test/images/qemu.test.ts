// How a program can tell it runs under qemu-user, measured in the arm64 lane's container (qemu
// 7.2, binfmt_misc with the F flag): the facts sbx's seccomp message can rely on instead of
// "this kernel has no seccomp". Each is read by an emulated aarch64 program about itself.
//  - The kernel keeps its own name for its architecture: /proc/sys/kernel/arch (Linux 6.1+) says
//    x86_64 while uname(2), which qemu answers, says aarch64 — and sbx knows it was built for arm64.
//  - The kernel has seccomp (/proc/self/status has its Seccomp: line), yet seccomp(2) is ENOSYS:
//    the call never reached the kernel. That holds for any user-mode emulator.
//  - qemu rewrites /proc/self/exe to the guest program, but not /proc/thread-self/exe, which
//    still names the emulator.
// Not reliable: /proc/cpuinfo (qemu 7.2 passes the host's through; qemu 8.1+ emulates one for arm
// guests), /proc/self/auxv (qemu builds the guest's) and /proc/sys/fs/binfmt_misc (not mounted in
// containers).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { runcHost, type Ran } from "../support/runc.ts";
import { buildImage, readmeBlock, type Image } from "./image.ts";

const host = runcHost();
let image: Image;
let seen: Ran;
beforeAll(() => {
  image = buildImage(readmeBlock("debian"), "arm64", { "debian:bookworm-slim": "debian-arm64" }, { "docker-entrypoint.sh": readmeBlock("docker-entrypoint.sh") });
  seen = host.container({
    rootfs: image.rootfs,
    caps: [],
    args: ["sh", "-c", 'uname -m; cat /proc/sys/kernel/arch; readlink /proc/self/exe; readlink /proc/thread-self/exe; grep "^Seccomp:" /proc/self/status'],
  });
}, 60_000);
afterAll(() => {
  image?.remove();
  host.remove();
});

test("the emulated program is aarch64 to itself (uname) while the kernel's own arch is x86_64", () => {
  expect(seen.stderr).toBe("");
  const [uname, kernelArch] = seen.stdout.split("\n");
  expect(uname).toBe("aarch64");
  expect(kernelArch).toBe("x86_64");
});

test("/proc/self/exe is rewritten to the guest program; /proc/thread-self/exe names qemu", () => {
  const [, , self, threadSelf] = seen.stdout.split("\n");
  expect(self).toBe("/usr/bin/readlink");
  expect(threadSelf).toMatch(/qemu-aarch64/);
});

test("the kernel has seccomp (a Seccomp: line in /proc/self/status), which the emulated seccomp(2) still reports as ENOSYS", () => {
  expect(seen.stdout.split("\n")[4]).toBe("Seccomp:\t0");
  const r = host.container({ rootfs: image.rootfs, caps: ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"], args: ["sbx", "exec", "--user", "nobody", "--seccomp", "default", "--", "true"] });
  expect(r.code).toBe(216);
  expect(r.stderr).toContain("ENOSYS: the kernel has seccomp (/proc/thread-self/status shows Seccomp:), so sbx runs under an emulator such as qemu-user");
}, 60_000);
