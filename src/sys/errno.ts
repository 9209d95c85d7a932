// One errno type for all of sbx: a number with its name. Errno values are interned (one object
// per number), so they compare by identity with the named constants below: `r.errno === EPERM`.
// Linux asm-generic numbering, identical on x86_64 and aarch64.
const NAMES = [
  "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
  "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
  "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
  "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
  "", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI",
  "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT", "ENOSTR",
  "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM",
  "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
  "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE",
  "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN",
  "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
  "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM",
  "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD",
  "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
];

export class Errno {
  private static readonly interned = new Map<number, Errno>();

  private constructor(
    readonly code: number,
    /** "EPERM", or "errno 512" for a number without a name. */
    readonly name: string,
  ) {}

  static of(code: number): Errno {
    let e = Errno.interned.get(code);
    if (!e) {
      e = new Errno(code, NAMES[code] || `errno ${code}`);
      Errno.interned.set(code, e);
    }
    return e;
  }

  toString(): string {
    return this.name;
  }
}

export const EPERM = Errno.of(1);
export const ENOENT = Errno.of(2);
export const EIO = Errno.of(5);
export const ENXIO = Errno.of(6);
export const EBADF = Errno.of(9);
export const EAGAIN = Errno.of(11);
export const ENOMEM = Errno.of(12);
export const EACCES = Errno.of(13);
export const EFAULT = Errno.of(14);
export const EEXIST = Errno.of(17);
export const ENOTDIR = Errno.of(20);
export const EISDIR = Errno.of(21);
export const EINVAL = Errno.of(22);
export const ENFILE = Errno.of(23);
export const EMFILE = Errno.of(24);
export const ENOEXEC = Errno.of(8);
export const E2BIG = Errno.of(7);
export const ETXTBSY = Errno.of(26);
export const EFBIG = Errno.of(27);
export const ENOSPC = Errno.of(28);
export const EPIPE = Errno.of(32);
export const ERANGE = Errno.of(34);
export const ENAMETOOLONG = Errno.of(36);
export const ENOSYS = Errno.of(38);
export const ELOOP = Errno.of(40);
export const ENODATA = Errno.of(61);
export const EOPNOTSUPP = Errno.of(95);
