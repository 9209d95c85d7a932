// Signal names for --pdeathsig (Linux numbering, identical on x86_64 and aarch64).
const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10,
  SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19,
  TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28,
  IO: 29, PWR: 30, SYS: 31,
};

/** "TERM", "SIGTERM", "term" or "15"; undefined when it is not a signal (RT signals by number). */
export function parseSignal(text: string): number | undefined {
  const t = text.trim().toUpperCase().replace(/^SIG/, "");
  if (/^\d{1,2}$/.test(t)) {
    const n = Number(t);
    return n >= 1 && n <= 64 ? n : undefined;
  }
  return SIGNALS[t];
}

export function signalName(n: number): string {
  const e = Object.entries(SIGNALS).find(([, v]) => v === n);
  return e ? `SIG${e[0]}` : `signal ${n}`;
}
