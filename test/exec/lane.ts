// Shared by the `sbx exec` end-to-end files: a scratch directory every uid can write to, and a
// lane runner whose workload prints its pid, /proc/self/status and open fds.
import { afterAll, expect } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, SBX, statusFields } from "../support/sbx.ts";

/** A fresh-name generator in a 1777 directory (the workloads run as other users), removed after the file. */
export function scratch(prefix: string): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o1777);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let seq = 0;
  return (name) => join(dir, `${name}-${seq++}`);
}

// `ls -m`, not `ls | tr`: a pipeline's pipe is open in this shell while ls reads its fds.
const STATUS = 'echo "pid $$"; cat /proc/self/status; printf "fds "; ls -m /proc/$$/fd; :';

/** Run sbx exec with a shell workload that prints its pid, status and fds; also the pid sbx had. */
export function lane(fresh: (name: string) => string, args: string[], via: string[] = [], env?: Record<string, string>) {
  const pidFile = fresh("pid");
  const r = run([...via, "sh", "-c", `echo $$ > ${pidFile}; exec ${SBX} exec ${args.map((a) => `'${a}'`).join(" ")} -- sh -c '${STATUS.replace(/'/g, "'\\''")}'`], env ? { env } : {});
  const st = statusFields(r.stdout);
  const pid = /^pid (\d+)/m.exec(r.stdout)?.[1];
  const fds = /^fds (.*)$/m.exec(r.stdout)?.[1]?.trim().split(/,\s*/) ?? [];
  return { ...r, st, pid, sbxPid: existsSync(pidFile) ? readFileSync(pidFile, "utf8").trim() : "", fds };
}

export const ZERO = "0000000000000000";

export function expectNoCaps(st: Record<string, string>, bounding = ZERO) {
  expect(st.CapInh).toBe(ZERO);
  expect(st.CapPrm).toBe(ZERO);
  expect(st.CapEff).toBe(ZERO);
  expect(st.CapAmb).toBe(ZERO);
  expect(st.CapBnd).toBe(bounding);
}

/** Poll until `ready` holds (other processes are doing the work), failing after `ms`. */
export async function until(what: string, ready: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(5);
  }
}
