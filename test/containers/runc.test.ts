// sbx inside real OCI containers. Debian's runc sets up the caller — capabilities, seccomp filter,
// ids, user namespace — the way Docker, Podman or Kubernetes hand them to an entrypoint, and the
// truth is the workload's own /proc/self/status, or sbx's exit code and one-line message.
// Containers are cheap: the rootfs is an empty directory with the host's /usr (and /bin, /lib…
// as the host has them) bound read-only, a three-user /etc, dist/sbx bound read-only at /sbx with
// /gosu → /sbx, and a writable /out per container for markers and reports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { runningArch } from "../../src/seccomp/arch.ts";
import { ExecReportSchema } from "../../src/render/report.ts";
import { expectNoCaps } from "../exec/lane.ts";
import { refApplies, type RefProfile, type RefRule } from "../seccomp/reference.ts";
import { run, SBX, SHARED, statusFields } from "../support/sbx.ts";

// Off CI a machine without runc skips this file; CI must run it.
const HAVE_RUNC = Bun.which("runc") !== null && Bun.which("newuidmap") !== null;
if (!HAVE_RUNC && process.env.CI === "true") {
  throw new Error("runc and newuidmap are missing: install the Debian packages runc and uidmap (see .ci/run)");
}

// Docker's default capability set (0xa80425fb), and with sys_admin + sys_ptrace the NemoClaw container (0xa82c25fb).
const DOCKER = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
];
const DOCKER_PLUS = [...DOCKER, "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"];
const APP = "1000\t1000\t1000\t1000";
/** The workload: leaves a marker in /out, then prints its own status. */
const STATUS = ["sh", "-c", "touch /out/ran; cat /proc/self/status"];

/** The unprivileged user that runs rootless runc, and the subordinate range newuidmap gives it. */
const RUNNER = 65534;
const SUBIDS = { start: 100000, size: 65536 };
const asRunner = ["setpriv", "--reuid", String(RUNNER), "--regid", String(RUNNER), "--clear-groups", "--"];

interface Container {
  args: string[];
  /** Docker's rule: root gets these in its bounding, effective and permitted sets, another uid only in bounding. */
  caps: string[];
  user?: { uid: number; gid: number };
  env?: string[];
  seccomp?: object;
  /** The runtime sets no_new_privileges itself (default off, as in Docker: then sbx sets it). */
  noNewPrivileges?: boolean;
  rootless?: boolean;
}

const bind = (source: string, destination: string, rw = false) => ({ destination, type: "bind", source, options: ["rbind", rw ? "rw" : "ro"] });

/** The shared rootfs and base specs in a temp directory, and a way to run one container in it. */
function runcBox() {
  const tmp = mkdtempSync(join(tmpdir(), "sbx-runc-"));
  chmodSync(tmp, 0o755); // the rootless runner reads bundles and rootfs in here

  // Every mount point exists beforehand: runc never writes into the shared rootfs.
  const rootfs = join(tmp, "rootfs");
  for (const d of ["etc", "proc", "dev", "sys", "usr", "out"]) mkdirSync(join(rootfs, d), { recursive: true });
  writeFileSync(join(rootfs, "sbx"), "");
  symlinkSync("/sbx", join(rootfs, "gosu"));
  writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n");
  writeFileSync(join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n");
  // Merged-/usr hosts have /bin → usr/bin etc.: the same symlinks resolve into the bound /usr.
  const hostDirs = ["bin", "sbin", "lib", "lib64"].filter((d) => existsSync(`/${d}`)).flatMap((d) => {
    if (lstatSync(`/${d}`).isSymbolicLink()) {
      symlinkSync(readlinkSync(`/${d}`), join(rootfs, d));
      return [];
    }
    mkdirSync(join(rootfs, d));
    return [bind(`/${d}`, `/${d}`)];
  });

  // Rootless runc may not reach a checkout under a private home: its wrapper binds dist/sbx here.
  const sbxForRunner = join(tmp, "sbx");
  writeFileSync(sbxForRunner, "");
  const subids = join(tmp, "subids");
  writeFileSync(subids, `nobody:${SUBIDS.start}:${SUBIDS.size}\n`);
  const state = join(tmp, "state");
  const runnerState = join(tmp, "state-rootless");
  mkdirSync(state);
  mkdirSync(runnerState);
  chownSync(runnerState, RUNNER, RUNNER);

  const spec = (name: string, via: string[], ...flags: string[]) => {
    const dir = join(tmp, name);
    mkdirSync(dir);
    chownSync(dir, RUNNER, RUNNER);
    const r = run([...via, "runc", "spec", ...flags, "--bundle", dir]);
    if (r.code !== 0) throw new Error(`runc spec ${flags.join(" ")}: ${r.stderr}`);
    return readFileSync(join(dir, "config.json"), "utf8");
  };
  const rootfulSpec = spec("spec", []);
  // As the runner, `runc spec --rootless` maps it to container root; the subordinate range is added per container.
  const rootlessSpec = spec("spec-rootless", asRunner, "--rootless");

  /**
   * A private mount namespace where /etc/subuid and /etc/subgid give the runner its range (setuid
   * newuidmap reads them by path) and dist/sbx is reachable, then runc as the runner. The host's
   * files stay untouched; Debian's login package creates them (empty), so they exist as mount points.
   */
  const rootless = (cmd: string[]) => [
    "unshare", "--mount", "--propagation", "private", "sh", "-c",
    'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid && mount --bind "$2" "$3" && shift 3 && exec "$@"',
    "sh", subids, SBX, sbxForRunner, ...cmd,
  ];

  let seq = 0;
  /** `runc run` one container to completion, always deleted after; its /out stays readable. */
  function container(c: Container) {
    const id = `sbx-test-${process.pid}-${seq++}`;
    const bundle = join(tmp, id);
    const out = join(bundle, "out");
    mkdirSync(out, { recursive: true });
    chmodSync(bundle, 0o755);
    chmodSync(out, 0o1777); // the workload writes here as app
    const cfg = JSON.parse(c.rootless ? rootlessSpec : rootfulSpec);
    const root = (c.user?.uid ?? 0) === 0;
    cfg.root.path = rootfs;
    cfg.process.terminal = false;
    cfg.process.args = c.args;
    cfg.process.env.push(...(c.env ?? []));
    cfg.process.user = c.user ?? { uid: 0, gid: 0 };
    cfg.process.noNewPrivileges = c.noNewPrivileges ?? false;
    cfg.process.capabilities = { bounding: c.caps, effective: root ? c.caps : [], permitted: root ? c.caps : [], inheritable: [], ambient: [] };
    cfg.mounts.push(bind("/usr", "/usr"), ...hostDirs, bind(c.rootless ? sbxForRunner : SBX, "/sbx"), bind(out, "/out", true));
    if (c.seccomp) cfg.linux.seccomp = c.seccomp;
    if (c.rootless) {
      cfg.linux.uidMappings.push({ containerID: 1, hostID: SUBIDS.start, size: SUBIDS.size });
      cfg.linux.gidMappings.push({ containerID: 1, hostID: SUBIDS.start, size: SUBIDS.size });
    }
    writeFileSync(join(bundle, "config.json"), JSON.stringify(cfg));

    const runc = c.rootless ? [...asRunner, "runc", "--root", runnerState] : ["runc", "--root", state];
    const runIt = [...runc, "run", "--bundle", bundle, id];
    try {
      const r = run(c.rootless ? rootless(runIt) : runIt);
      return {
        ...r,
        st: statusFields(r.stdout),
        ran: existsSync(join(out, "ran")),
        report: () => v.parse(ExecReportSchema, JSON.parse(readFileSync(join(out, "report.json"), "utf8"))),
      };
    } finally {
      run([...runc, "delete", "-f", id]);
    }
  }

  return { container, remove: () => rmSync(tmp, { recursive: true, force: true }) };
}
type Ran = ReturnType<ReturnType<typeof runcBox>["container"]>;

/** Docker's default profile as Docker hands it to runc: decided for this arch, kernel and the container's caps. */
function dockerSeccomp(caps: string[]) {
  type DockerProfile = RefProfile & { archMap: { architecture: string; subArchitectures: string[] }[] };
  const profile = JSON.parse(readFileSync(join(SHARED, "fixtures/seccomp/docker-default.json"), "utf8")) as DockerProfile;
  const arch = runningArch();
  const [major, minor] = release().split(".").map(Number) as [number, number];
  const native = profile.archMap.find((a) => a.architecture === `SCMP_ARCH_${arch.toUpperCase()}`)!;
  return {
    defaultAction: profile.defaultAction,
    defaultErrnoRet: profile.defaultErrnoRet,
    architectures: [native.architecture, ...native.subArchitectures],
    syscalls: profile.syscalls!
      .filter((r) => refApplies(r, { arch, caps: new Set(caps), kernel: [major, minor] }))
      .map(({ names, action, errnoRet, args }: RefRule) => ({ names, action, errnoRet, args })),
  };
}

/** One line naming CAP_SETPCAP and what stays in the bounding set; the workload never started. */
function expectBoundingRefusal(r: Ran, residual: string) {
  expect(r.code).toBe(209);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain("CAP_SETPCAP");
  expect(r.stderr).toContain(`residual CapBnd=${residual}`);
  expect(r.ran).toBe(false);
}

describe.skipIf(!HAVE_RUNC)("sbx in runc containers", () => {
  let box: ReturnType<typeof runcBox>;
  beforeAll(() => {
    box = runcBox();
  });
  afterAll(() => box?.remove());
  const container = (c: Container) => box.container(c);

  describe("1. rootful, Docker's default caps + sys_admin + sys_ptrace (CapBnd 0xa82c25fb)", () => {
    test("sbx exec --user app: every capability set empty, CapBnd 0, uid/gid 1000, NoNewPrivs 1", () => {
      const r = container({ caps: DOCKER_PLUS, args: ["/sbx", "exec", "--user", "app", "--", ...STATUS] });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.st.Uid).toBe(APP);
      expect(r.st.Gid).toBe(APP);
      expect(r.st.Groups).toBe("1000");
      expectNoCaps(r.st);
      expect(r.st.NoNewPrivs).toBe("1");
    });

    test("gosu app (the /gosu symlink): like gosu, the bounding set stays and no_new_privs is not set", () => {
      const r = container({ caps: DOCKER_PLUS, args: ["/gosu", "app", "cat", "/proc/self/status"] });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.st.Uid).toBe(APP);
      expectNoCaps(r.st, "00000000a82c25fb");
      expect(r.st.NoNewPrivs).toBe("0");
    });

    test("gosu app with SBX_BOUNDING_SET=-all clears the bounding set", () => {
      const r = container({ caps: DOCKER_PLUS, env: ["SBX_BOUNDING_SET=-all"], args: ["/gosu", "app", "cat", "/proc/self/status"] });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.st.Uid).toBe(APP);
      expectNoCaps(r.st);
    });
  });

  test("2. rootful, Docker's default caps under Docker's default seccomp profile: the step-down still works", () => {
    const r = container({ caps: DOCKER, seccomp: dockerSeccomp(DOCKER), args: ["/sbx", "exec", "--user", "app", "--", ...STATUS] });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.st.Seccomp).toBe("2"); // the container's filter, still on the workload
    expect(r.st.Seccomp_filters).toBe("1");
    expect(r.st.Uid).toBe(APP);
    expectNoCaps(r.st);
    expect(r.st.NoNewPrivs).toBe("1");
  });

  // With no_new_privileges runc installs the container's filter last, right before exec, so the
  // entrypoint meets the denial as it would AppArmor's; without it runc installs the filter before
  // its own bounding-set drop, and this one would stop runc itself.
  describe("3. rootless Podman under AppArmor: prctl(PR_CAPBSET_DROP) → EPERM although CAP_SETPCAP is held", () => {
    const denied = {
      caps: DOCKER_PLUS,
      noNewPrivileges: true,
      seccomp: {
        defaultAction: "SCMP_ACT_ALLOW",
        architectures: [`SCMP_ARCH_${runningArch().toUpperCase()}`],
        syscalls: [{ names: ["prctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{ index: 0, value: 24, op: "SCMP_CMP_EQ" }] }],
      },
    };

    test("--user app: the set cannot be dropped but is inert (non-root target, no_new_privs): runs, not degraded", () => {
      const r = container({ ...denied, args: ["/sbx", "exec", "--user", "app", "--report", "/out/report.json", "--", ...STATUS] });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.st.Uid).toBe(APP);
      expectNoCaps(r.st, "00000000a82c25fb");
      expect(r.st.NoNewPrivs).toBe("1");
      const rep = r.report();
      expect(rep.degraded).toEqual([]);
      expect(rep.bounding).toMatchObject({ cleared: false, inert: true });
    });

    test("staying root: refused with 209, naming CAP_SETPCAP and the residual CapBnd; the workload never ran", () => {
      const r = container({ ...denied, args: ["/sbx", "exec", "--", ...STATUS] });
      expectBoundingRefusal(r, "00000000a82c25fb");
      expect(r.stderr).toContain("EPERM");
    });

    test("staying root with --allow-degraded bounding: runs with the bounding set kept, warned and reported as degraded, NoNewPrivs 1", () => {
      const r = container({ ...denied, args: ["/sbx", "exec", "--allow-degraded", "bounding", "--report", "/out/report.json", "--", ...STATUS] });
      expect(r.code).toBe(0);
      expect(r.ran).toBe(true);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("DEGRADED (bounding)");
      expect(r.st.Uid).toBe("0\t0\t0\t0");
      expect(r.st.CapBnd).toBe("00000000a82c25fb");
      expect(r.st.NoNewPrivs).toBe("1"); // what --allow-degraded bounding requires: no execve can use the kept set
      const rep = r.report();
      expect(rep.degraded.map((d) => d.name)).toEqual(["bounding"]);
      expect(rep.bounding).toMatchObject({ cleared: false, inert: false });
    });
  });

  // Kubernetes' hardened pattern: capabilities drop [ALL] add [SETUID, SETGID], runAsUser 0, with and
  // without allowPrivilegeEscalation: false (no_new_privs set by the runtime). No CAP_SETPCAP.
  describe("4. Kubernetes drop ALL + add SETUID, SETGID, runAsUser 0", () => {
    for (const noNewPrivileges of [false, true]) {
      test(`--user app${noNewPrivileges ? ", allowPrivilegeEscalation: false" : ""}: the residual {setuid, setgid} is inert — runs as app with no capability, not degraded`, () => {
        const r = container({ caps: ["CAP_SETUID", "CAP_SETGID"], noNewPrivileges, args: ["/sbx", "exec", "--user", "app", "--report", "/out/report.json", "--log-format", "ocsf", "--", ...STATUS] });
        expect(r.code).toBe(0);
        expect(r.stderr.trim().split("\n").map((l) => JSON.parse(l).severity_id)).toEqual([1]); // informational only
        expect(r.st.Uid).toBe(APP);
        expectNoCaps(r.st, "00000000000000c0");
        expect(r.st.NoNewPrivs).toBe("1");
        const rep = r.report();
        expect(rep.degraded).toEqual([]);
        expect(rep.bounding).toMatchObject({ cleared: false, inert: true });
        expect(rep.bounding.reason).toContain("uid 1000 is not root");
      });
    }

    test("--allow-new-privs: the set matters again, refused with 209", () => {
      const r = container({ caps: ["CAP_SETUID", "CAP_SETGID"], args: ["/sbx", "exec", "--user", "app", "--allow-new-privs", "--", ...STATUS] });
      expectBoundingRefusal(r, "00000000000000c0");
    });

    test("staying root: refused with 209", () => {
      const r = container({ caps: ["CAP_SETUID", "CAP_SETGID"], args: ["/sbx", "exec", "--", ...STATUS] });
      expectBoundingRefusal(r, "00000000000000c0");
    });
  });

  test("5. already the target (process.user 1000:1000, Docker's caps only in bounding): runs, the kept set is inert, not degraded", () => {
    const r = container({
      caps: DOCKER,
      user: { uid: 1000, gid: 1000 },
      args: ["/sbx", "exec", "--user", "1000:1000", "--report", "/out/report.json", "--", "id"],
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("uid=1000(app) gid=1000(app) groups=1000(app)\n");
    const rep = r.report();
    expect(rep.degraded).toEqual([]);
    expect(rep.bounding).toMatchObject({ cleared: false, inert: true });
    expect(rep.after_execve.caps.bounding.hex).toBe("00000000a80425fb");
    expect(rep.after_execve.caps.permitted.hex).toBe("0000000000000000");
    expect(rep.after_execve.no_new_privs).toBe(true);
  });

  test("6. rootless runc (runner 65534 → container root, app → a subordinate uid via newuidmap): the full step-down", () => {
    const r = container({
      rootless: true,
      caps: DOCKER,
      args: ["/sbx", "exec", "--user", "app", "--", "sh", "-c", "cat /proc/self/status /proc/self/uid_map"],
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // A user namespace: container root is the runner, every other uid the subordinate range.
    expect(r.stdout).toMatch(new RegExp(`^\\s+0\\s+${RUNNER}\\s+1\\n\\s+1\\s+${SUBIDS.start}\\s+${SUBIDS.size}$`, "m"));
    expect(r.st.Uid).toBe(APP);
    expect(r.st.Gid).toBe(APP);
    expect(r.st.Groups).toBe("1000");
    expectNoCaps(r.st);
    expect(r.st.NoNewPrivs).toBe("1");
  });
});
