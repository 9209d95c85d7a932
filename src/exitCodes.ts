// Exit codes of the read-only commands. `sbx exec` has its per-step codes in src/stepdown.
export const EXIT = {
  OK: 0,
  /** An assertion (`sbx caps --absent/--empty`) found what it must not, or a doctor warning. */
  ASSERTION: 1,
  /** Bad command line or input; nothing was changed. */
  USAGE: 2,
  /** The state could not be read (e.g. another pid without procfs). */
  UNREADABLE: 3,
} as const;
