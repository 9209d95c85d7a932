// Landlock's ABI version query. Only asks; sbx does not create rulesets.
import { errno, libc } from "./libc.ts";
import { fail, ok, type SysResult } from "./result.ts";

// landlock_create_ruleset is 444 in the asm-generic table, which x86_64 and aarch64 share here.
const SYS_LANDLOCK_CREATE_RULESET = 444;
const LANDLOCK_CREATE_RULESET_VERSION = 1;

/** The highest Landlock ABI the kernel supports (1 = Linux 5.13). ENOSYS/EOPNOTSUPP when absent. */
export function landlockAbiVersion(): SysResult<number> {
  const r = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, 0, 0, LANDLOCK_CREATE_RULESET_VERSION, 0, 0);
  return r < 0 ? fail("landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION)", errno()) : ok(Number(r));
}
