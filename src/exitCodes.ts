// Exit codes of the read-only commands. `sbx exec` has its per-step codes in src/stepdown.
export const EXIT = {
  OK: 0,
  /** An assertion (`sbx caps --absent/--empty`) found what it must not, or a doctor warning. */
  ASSERTION: 1,
  /** Bad command line or input; nothing was changed. */
  USAGE: 2,
  /** The state could not be read or trusted (another pid that does not exist, an answer that contradicts the kernel). */
  UNREADABLE: 3,
  /** The output could not be written (a full disk, a closed pipe, a file sbx refuses to write). */
  OUTPUT: 4,
  /** A bug in sbx. */
  INTERNAL: 70,
} as const;
