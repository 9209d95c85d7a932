// One real OCI container over a prepared root filesystem, run to completion by Debian's runc,
// rootful or rootless. The caller decides what the runtime hands the entrypoint: capabilities
// (Docker's rule: root gets them in bounding, effective and permitted, any other uid only in
// bounding), no_new_privileges, the user, whether /proc is mounted. The root stays read-only;
// /out is a fresh writable directory per container.
//
// Rootless: runc runs as uid 65534 ("the runner"), mapped to container root, with a subordinate
// range for every other container uid through setuid newuidmap. newuidmap reads /etc/subuid and
// /etc/subgid by path, so a private mount namespace binds a range file over them for the run;
// the host's files are never changed.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, statusFields, type Run } from "./sbx.ts";

export const RUNNER = 65534;
/** Docker's default capability set (CapBnd 0xa80425fb), what `docker run` hands a container. */
export const DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"];
export const SUBIDS = { start: 100000, size: 65536 };
const asRunner = ["setpriv", "--reuid", String(RUNNER), "--regid", String(RUNNER), "--clear-groups", "--"];

export interface ContainerSpec {
  rootfs: string;
  args: string[];
  caps: string[];
  user?: { uid: number; gid: number };
  noNewPrivileges?: boolean;
  rootless?: boolean;
  /** false: no /proc mount at all (default: mounted, as every runtime does). */
  proc?: boolean;
}

export interface Ran extends Run {
  /** The fields of any /proc/…/status text the workload printed. */
  st: Record<string, string>;
  /** Whether the workload wrote /out/ran (the tests' workloads do, first thing). */
  ran: boolean;
}

/** A place for bundles and runc state, and a way to run containers there; remove() after use. */
export function runcHost() {
  const tmp = mkdtempSync(join(tmpdir(), "sbx-oci-"));
  chmodSync(tmp, 0o755);
  const subids = join(tmp, "subids");
  writeFileSync(subids, `nobody:${SUBIDS.start}:${SUBIDS.size}\n`);
  const state = { rootful: join(tmp, "state"), rootless: join(tmp, "state-rootless") };
  mkdirSync(state.rootful);
  mkdirSync(state.rootless);
  chownSync(state.rootless, RUNNER, RUNNER);

  // runc's own default spec, once per mode (the rootless one as the runner, as a user would make it).
  const specs = new Map<boolean, string>();
  const baseSpec = (rootless: boolean) => {
    if (!specs.has(rootless)) {
      const dir = join(tmp, rootless ? "spec-rootless" : "spec");
      mkdirSync(dir);
      chownSync(dir, RUNNER, RUNNER);
      const r = run([...(rootless ? asRunner : []), "runc", "spec", ...(rootless ? ["--rootless"] : []), "--bundle", dir]);
      if (r.code !== 0) throw new Error(`runc spec: ${r.stderr}`);
      specs.set(rootless, readFileSync(join(dir, "config.json"), "utf8"));
    }
    return JSON.parse(specs.get(rootless)!);
  };

  let seq = 0;
  function container(c: ContainerSpec): Ran {
    const id = `sbx-image-${process.pid}-${seq++}`;
    const bundle = join(tmp, id);
    const out = join(bundle, "out");
    mkdirSync(out, { recursive: true });
    chmodSync(bundle, 0o755);
    chmodSync(out, 0o1777); // the workload writes here as its own user
    const root = (c.user?.uid ?? 0) === 0;
    const cfg = baseSpec(c.rootless ?? false);
    cfg.root = { path: c.rootfs, readonly: true };
    Object.assign(cfg.process, {
      terminal: false,
      args: c.args,
      user: c.user ?? { uid: 0, gid: 0 },
      noNewPrivileges: c.noNewPrivileges ?? false,
      capabilities: { bounding: c.caps, effective: root ? c.caps : [], permitted: root ? c.caps : [], inheritable: [], ambient: [] },
    });
    if (c.proc === false) cfg.mounts = cfg.mounts.filter((m: { destination: string }) => m.destination !== "/proc");
    cfg.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind", "rw"] });
    if (c.rootless) {
      cfg.linux.uidMappings.push({ containerID: 1, hostID: SUBIDS.start, size: SUBIDS.size });
      cfg.linux.gidMappings.push({ containerID: 1, hostID: SUBIDS.start, size: SUBIDS.size });
    }
    writeFileSync(join(bundle, "config.json"), JSON.stringify(cfg));

    const runc = c.rootless ? [...asRunner, "runc", "--root", state.rootless] : ["runc", "--root", state.rootful];
    const cmd = [...runc, "run", "--bundle", bundle, id];
    const wrapped = c.rootless
      ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid && shift && exec "$@"', "sh", subids, ...cmd]
      : cmd;
    try {
      const r = run(wrapped);
      return { ...r, st: statusFields(r.stdout), ran: existsSync(join(out, "ran")) };
    } finally {
      run([...runc, "delete", "-f", id]);
    }
  }

  return { container, remove: () => rmSync(tmp, { recursive: true, force: true }) };
}
