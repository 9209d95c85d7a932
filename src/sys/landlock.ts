// Landlock's three system calls: the ABI version query, creating a ruleset, adding a path-beneath
// rule, and enforcing the ruleset on this thread. Numbers are the same on every architecture.
import { ptr } from "bun:ffi";
import { errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const LANDLOCK_CREATE_RULESET_VERSION = 1;
const LANDLOCK_RULE_PATH_BENEATH = 1;

/** The highest Landlock ABI the kernel supports (1 = Linux 5.13). ENOSYS/EOPNOTSUPP when absent. */
export function landlockAbiVersion(): SysResult<number> {
  const r = libc.syscall(SYS.landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION, 0, 0);
  return r < 0 ? fail(errno(), "landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION)") : ok(Number(r));
}

/**
 * A ruleset handling these filesystem rights: its fd (close-on-exec, as the kernel makes it).
 * Only handled_access_fs is passed (the ABI 1 struct size), so any ABI takes it.
 */
export function landlockCreateRuleset(handledFs: bigint): SysResult<number> {
  const attr = new BigUint64Array([handledFs]);
  const r = libc.syscall(SYS.landlock_create_ruleset, ptr(attr), 8, 0, 0, 0);
  return r < 0 ? fail(errno(), "landlock_create_ruleset") : ok(Number(r));
}

/** Allow `access` beneath the file `parentFd` refers to (struct landlock_path_beneath_attr is packed: u64 then s32). */
export function landlockAddRule(rulesetFd: number, access: bigint, parentFd: number): SysResult {
  const attr = new Uint8Array(12);
  const d = new DataView(attr.buffer);
  d.setBigUint64(0, access, true);
  d.setInt32(8, parentFd, true);
  const r = libc.syscall(SYS.landlock_add_rule, rulesetFd, LANDLOCK_RULE_PATH_BENEATH, ptr(attr), 0, 0);
  return r < 0 ? fail(errno(), `landlock_add_rule(fd ${parentFd})`) : ok(0);
}

/** Enforce the ruleset on this thread (and what it execs); needs no_new_privs or CAP_SYS_ADMIN. */
export function landlockRestrictSelf(rulesetFd: number): SysResult {
  const r = libc.syscall(SYS.landlock_restrict_self, rulesetFd, 0, 0, 0, 0);
  return r < 0 ? fail(errno(), "landlock_restrict_self") : ok(0);
}
