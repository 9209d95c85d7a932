// The README's images, built from its own lines (test/images/image.ts) over real root filesystems
// and run in real runc containers: rootful with Docker's default capabilities, and rootless (runc
// as an unprivileged user, a subordinate uid range through newuidmap) with Podman's. Each lane
// checks what the workload itself sees — its /proc/self/status — not what sbx says it did.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expectNoCaps } from "../exec/lane.ts";
import { DOCKER_CAPS, runcHost, type Ran } from "../support/runc.ts";
import { buildImage, readmeBlock, type Arch, type Image } from "./image.ts";
import type { RootName } from "./roots.ts";

// Under qemu-user every start of sbx costs about a second of emulation. Tests that do not apply to
// a lane (gosu's link in an image without a shell) are not registered there, rather than skipped.
setDefaultTimeout(60_000);

// Rootless Podman's default set (0x800405fb); Docker's is DOCKER_CAPS.
const PODMAN = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"];
const MODES = [
  { mode: "rootful runc, Docker's default caps", rootless: false, caps: DOCKER_CAPS, bounding: "00000000a80425fb" },
  { mode: "rootless runc via newuidmap, Podman's default caps", rootless: true, caps: PODMAN, bounding: "00000000800405fb" },
];

interface Lane {
  name: string;
  arch: Arch;
  dockerfile: string;
  bases: Record<string, RootName>;
  /** The image's sbx, as its Dockerfile lines put it. */
  sbx: string;
  user: { name: string; id: string; groups: string };
  /** A workload printing its own /proc/self/status (in distroless, sbx caps reading pid 1: itself). */
  status: string[];
  shell: boolean;
  qemu: boolean;
}

const debian = (arch: Arch, root: RootName): Lane => ({
  name: `Debian minbase ${arch}${arch === "arm64" ? " under qemu-user-static" : ""}`,
  arch,
  dockerfile: readmeBlock("debian"),
  bases: { "debian:bookworm-slim": root },
  sbx: "/usr/local/bin/sbx",
  user: { name: "app", id: "1000", groups: "1000 2000" },
  status: ["sh", "-c", "touch /out/ran; cat /proc/self/status"],
  shell: true,
  qemu: arch === "arm64",
});
const LANES: Lane[] = [
  debian("amd64", "debian-amd64"),
  {
    name: "distroless-like amd64 (glibc's files only, no shell)",
    arch: "amd64",
    dockerfile: readmeBlock("distroless"),
    bases: { "gcr.io/distroless/base-debian12": "distroless-amd64" },
    sbx: "/sbx",
    user: { name: "nonroot", id: "65532", groups: "65532" },
    status: ["/sbx", "caps", "--pid", "1", "--json"],
    shell: false,
    qemu: false,
  },
  debian("arm64", "debian-arm64"),
];

/** /proc/self/status fields, from the text a shell printed or from `sbx caps --pid 1 --json`. */
function statusOf(lane: Lane, r: Ran): Record<string, string> {
  if (lane.shell) return r.st;
  const j = JSON.parse(r.stdout);
  const ids = (x: { real: number; effective: number; saved: number; fs: number }) => [x.real, x.effective, x.saved, x.fs].join("\t");
  return {
    Uid: ids(j.uid), Gid: ids(j.gid), Groups: j.groups.join(" "),
    CapInh: j.caps.inheritable.hex, CapPrm: j.caps.permitted.hex, CapEff: j.caps.effective.hex, CapBnd: j.caps.bounding.hex, CapAmb: j.caps.ambient.hex,
    NoNewPrivs: j.no_new_privs ? "1" : "0", Seccomp: String({ disabled: 0, strict: 1, filter: 2 }[j.seccomp.mode as string]),
  };
}

function expectUser(lane: Lane, st: Record<string, string>) {
  expect(st.Uid).toBe(Array(4).fill(lane.user.id).join("\t"));
  expect(st.Gid).toBe(Array(4).fill(lane.user.id).join("\t"));
  expect(st.Groups).toBe(lane.user.groups);
}

const host = runcHost();
afterAll(() => host.remove());
const context = { "docker-entrypoint.sh": readmeBlock("docker-entrypoint.sh") };

describe.each(LANES)("$name", (lane) => {
  let image: Image;
  beforeAll(() => {
    image = buildImage(lane.dockerfile, lane.arch, lane.bases, context);
  });
  afterAll(() => image?.remove());

  describe.each(MODES)("$mode", ({ rootless, caps, bounding }) => {
    const container = (args: string[], extra: { caps?: string[]; noNewPrivileges?: boolean } = {}) =>
      host.container({ rootfs: image.rootfs, args, caps: extra.caps ?? caps, noNewPrivileges: extra.noNewPrivileges, rootless });

    test("the image's ENTRYPOINT steps down for the workload: its ids, every capability set 0, NoNewPrivs 1", () => {
      const r = container([...image.entrypoint, ...lane.status]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const st = statusOf(lane, r);
      expectUser(lane, st);
      expectNoCaps(st);
      expect(st.NoNewPrivs).toBe("1");
    });

    if (lane.shell) test("the image's CMD (id) through the entrypoint script", () => {
      const r = container([...image.entrypoint, ...image.cmd]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toBe("uid=1000(app) gid=1000(app) groups=1000(app),2000(appdata)\n");
    });

    test("sbx caps --json as the container's root: the runtime's capability set, nothing else", () => {
      const r = container([lane.sbx, "caps", "--json"]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const caps = JSON.parse(r.stdout);
      expect(caps.schema).toBe("sbx.caps/1");
      expect(caps.uid).toEqual({ real: 0, effective: 0, saved: 0, fs: 0 });
      expect(caps.caps.bounding.hex).toBe(bounding);
      expect(caps.caps.effective.hex).toBe(bounding);
      expect(caps.no_new_privs).toBe(false);
    });

    if (lane.shell) test("gosu app (the image's gosu link): ids switched; like gosu, the bounding set stays and NoNewPrivs 0", () => {
      const r = container(["gosu", "app", "cat", "/proc/self/status"]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expectUser(lane, r.st);
      expectNoCaps(r.st, bounding);
      expect(r.st.NoNewPrivs).toBe("0");
    });

    // qemu-user does not emulate seccomp(2): it returns ENOSYS for the guest (a filter of aarch64
    // rules would have to apply to the emulator's own x86-64 syscalls, which it cannot express),
    // so sbx fails closed instead of running the workload without its filter.
    if (lane.qemu) {
      test("sbx exec --seccomp default under qemu-user: refused (216, seccomp(2) is ENOSYS in the emulator), the workload never runs", () => {
        const r = container([lane.sbx, "exec", "--user", lane.user.name, "--seccomp", "default", "--", ...lane.status]);
        expect(r.code).toBe(216);
        expect(r.stdout).toBe("");
        expect(r.ran).toBe(false);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toContain("seccomp(SECCOMP_SET_MODE_FILTER): ENOSYS");
      });
    } else {
      test("sbx exec --seccomp default: the workload runs under sbx's filter (Seccomp 2), stepped down", () => {
        const r = container([lane.sbx, "exec", "--user", lane.user.name, "--seccomp", "default", "--", ...lane.status]);
        expect([r.code, r.stderr]).toEqual([0, ""]);
        const st = statusOf(lane, r);
        expectUser(lane, st);
        expectNoCaps(st);
        expect(st.Seccomp).toBe("2");
      });
    }
  });

  // Kubernetes runs rootful. The README's pod command is in the Debian image's terms (sbx on PATH,
  // the app user); every image's own entrypoint meets the same securityContext.
  describe("Kubernetes securityContext from the README: drop ALL, add SETUID and SETGID, allowPrivilegeEscalation false", () => {
    const pod = Bun.YAML.parse(readmeBlock("kubernetes")) as { containers: { command: string[]; args: string[]; securityContext: { allowPrivilegeEscalation: boolean; capabilities: { drop: string[]; add: string[] } } }[] };
    const spec = pod.containers[0]!;
    const sc = spec.securityContext;
    // What the CRI does with it: drop ALL leaves nothing, add gives these to root's sets, and
    // allowPrivilegeEscalation false is no_new_privs.
    const k8s = { caps: sc.capabilities.drop.includes("ALL") ? sc.capabilities.add.map((c) => `CAP_${c}`) : [], noNewPrivileges: !sc.allowPrivilegeEscalation };
    const container = (args: string[], caps = k8s.caps) => host.container({ rootfs: image.rootfs, args, caps, noNewPrivileges: k8s.noNewPrivileges });

    if (lane.shell) test("the pod's command: runs as app, not degraded: every set 0 but CapBnd (setuid, setgid) kept as inert, NoNewPrivs 1", () => {
      expect(spec.args).toEqual(["id"]);
      const r = container([...spec.command, ...lane.status]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expectUser(lane, r.st);
      expectNoCaps(r.st, "00000000000000c0");
      expect(r.st.NoNewPrivs).toBe("1");
      expect(container([...spec.command, ...spec.args]).stdout).toBe("uid=1000(app) gid=1000(app) groups=1000(app),2000(appdata)\n");
    });

    test("the image's entrypoint there: runs as app too, the residual set inert", () => {
      const r = container([...image.entrypoint, ...lane.status]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const st = statusOf(lane, r);
      expectUser(lane, st);
      expectNoCaps(st, "00000000000000c0");
    });

    if (lane.shell) test("a root workload there: refused (209) in one line naming CAP_SETPCAP and the residual CapBnd", () => {
      const r = container([lane.sbx, "exec", "--", ...lane.status]);
      expect(r.code).toBe(209);
      expect(r.stdout).toBe(""); // the workload never ran
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("CAP_SETPCAP");
      expect(r.stderr).toContain("residual CapBnd=00000000000000c0");
    });

    test("with SETPCAP added, the image's entrypoint clears everything", () => {
      const r = container([...image.entrypoint, ...lane.status], [...k8s.caps, "CAP_SETPCAP"]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const st = statusOf(lane, r);
      expectUser(lane, st);
      expectNoCaps(st);
      expect(st.NoNewPrivs).toBe("1");
    });
  });

  if (!lane.shell) test("the image has no shell: /bin/sh is absent, so sbx is the entrypoint", () => {
    expect(existsSync(join(image.rootfs, "bin/sh"))).toBe(false);
    expect(existsSync(join(image.rootfs, "usr/bin/sh"))).toBe(false);
  });

  // runc itself cannot start a container without /proc ("error closing exec fds: open
  // /proc/self/fd"), so the missing-/proc root is entered by chroot from the host, as root.
  test("a root without /proc: the Bun runtime aborts (SIGABRT) before any sbx code runs, printing its crash banner", () => {
    const p = Bun.spawnSync(["chroot", image.rootfs, lane.sbx, "exec", "--user", lane.user.name, "--", "/proc-was-never-needed"], { stdout: "pipe", stderr: "pipe" });
    expect(p.signalCode).toBe("SIGABRT");
    expect(p.stdout.toString()).toBe("");
    const err = p.stderr.toString();
    expect(err).toContain("panic(main thread): abort() called");
    expect(err).toContain("oh no: Bun has crashed");
  });
});

test("runc refuses to start a container without /proc at all (so no runtime hands sbx such a root)", () => {
  const image = buildImage(readmeBlock("debian"), "amd64", { "debian:bookworm-slim": "debian-amd64" }, context);
  try {
    const r = host.container({ rootfs: image.rootfs, args: ["sbx", "--version"], caps: DOCKER_CAPS, proc: false });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("open /proc/self/fd: no such file or directory");
  } finally {
    image.remove();
  }
});
