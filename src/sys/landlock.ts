// Landlock's ABI version query. Only asks; sbx does not create rulesets.
import { errno, libc, SYS } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

const LANDLOCK_CREATE_RULESET_VERSION = 1;

/** The highest Landlock ABI the kernel supports (1 = Linux 5.13). ENOSYS/EOPNOTSUPP when absent. */
export function landlockAbiVersion(): SysResult<number> {
  const r = libc.syscall(SYS.landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION, 0, 0);
  return r < 0 ? fail(errno(), "landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION)") : ok(Number(r));
}
