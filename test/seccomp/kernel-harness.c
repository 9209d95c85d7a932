/*
 * Kernel truth for arbitrary seccomp programs, for kernel-differential.ts (x86_64 only).
 *
 * A program may deny anything, exit and write included, so the process that runs it must need no
 * system call after the install: each program runs in a fresh child whose thread T installs it
 * (no_new_privs first, no TSYNC) and then makes the chosen system calls through one `syscall`
 * instruction (and one `int $0x80`, for the i386 ABI), writing every outcome to memory shared
 * with this harness. T never exits: when it is done, or after a trap, it executes an invalid
 * instruction and the child dies of SIGILL. The child's main thread is not filtered; it notices
 * when the filter killed only T (SECCOMP_RET_KILL_THREAD). After a kill or a trap the next child
 * goes on with the next call.
 *
 * stdin:  N, then N lines "ABI NR A0 … A5" (ABI 64 or 32, hex numbers), then M, then M lines
 *         "LEN CODE JT JF K …" (hex; LEN 0 means no filter, which shows each call's own result).
 * stdout: "ip64 HEX ip32 HEX" (seccomp_data.instruction_pointer of the two call sites), then per
 *         program "INSTALL OUT…": INSTALL is 0 or the errno seccomp(2) failed with, OUT per call
 *         r<return value> | t<SIGSYS si_errno>,<si_syscall>,<si_arch> | k (thread killed) |
 *         K (process killed by SIGSYS) | s<signal> | - (not made: the install failed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CALLS 256
#define MAX_INSNS 4100

long sbx_call64(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long sbx_call32(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern char sbx_call64_ip[], sbx_call32_ip[];

/* The only system call instructions T executes after the install; the labels are the
 * instruction pointers seccomp reports. */
__asm__(".text\n"
        ".globl sbx_call64\n"
        "sbx_call64:\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  mov %rdx, %rsi\n"
        "  mov %rcx, %rdx\n"
        "  mov %r8, %r10\n"
        "  mov %r9, %r8\n"
        "  mov 8(%rsp), %r9\n"
        "  syscall\n"
        ".globl sbx_call64_ip\n"
        "sbx_call64_ip:\n"
        "  ret\n"
        ".globl sbx_call32\n"
        "sbx_call32:\n"
        "  push %rbx\n"
        "  push %rbp\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rbx\n"
        "  mov %rcx, %r11\n"
        "  mov %rdx, %rcx\n"
        "  mov %r11, %rdx\n"
        "  mov %r8, %rsi\n"
        "  mov %r9, %rdi\n"
        "  mov 24(%rsp), %rbp\n"
        "  int $0x80\n"
        ".globl sbx_call32_ip\n"
        "sbx_call32_ip:\n"
        "  movslq %eax, %rax\n"
        "  pop %rbp\n"
        "  pop %rbx\n"
        "  ret\n");

struct call {
  int abi;
  long nr, args[6];
};

enum state { NOT_MADE, RETURNED, TRAPPED };

struct shared {
  volatile int installed; /* -1 not yet, 0 done, else errno */
  volatile int current;
  volatile int finished;
  volatile int thread_killed;
  volatile int state[MAX_CALLS];
  volatile long result[MAX_CALLS];
  volatile int trap_errno[MAX_CALLS], trap_syscall[MAX_CALLS];
  volatile unsigned trap_arch[MAX_CALLS];
};

static struct call calls[MAX_CALLS];
static int ncalls;
static struct sock_filter insns[MAX_INSNS];
static unsigned short ninsns;
static struct shared *sh;
static int first;

static void on_sigsys(int sig, siginfo_t *info, void *ctx) {
  (void)sig, (void)ctx;
  int i = sh->current;
  sh->trap_errno[i] = info->si_errno;
  sh->trap_syscall[i] = info->si_syscall;
  sh->trap_arch[i] = info->si_arch;
  sh->state[i] = TRAPPED;
  __builtin_trap(); /* returning would need rt_sigreturn, which the filter may deny */
}

static void *filtered_thread(void *unused) {
  (void)unused;
  if (ninsns > 0) {
    struct sock_fprog prog = {.len = ninsns, .filter = insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      sh->installed = 1000;
      __builtin_trap();
    }
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    sh->installed = r == 0 ? 0 : errno;
    if (r != 0) __builtin_trap();
  } else {
    sh->installed = 0;
  }
  for (int i = first; i < ncalls; i++) {
    struct call *c = &calls[i];
    sh->current = i;
    long r = (c->abi == 32 ? sbx_call32 : sbx_call64)(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4], c->args[5]);
    sh->result[i] = r;
    sh->state[i] = RETURNED;
  }
  sh->finished = 1;
  __builtin_trap();
}

/* The child: SIGSYS caught (SA_NODEFER: a trap inside the handler must not find it blocked),
 * no core dumps, then T does the work while this thread only waits for it. */
static void child(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSYS, &sa, NULL);
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  pthread_t t;
  if (pthread_create(&t, NULL, filtered_thread, NULL) != 0) _exit(3);
  pthread_join(t, NULL);
  sh->thread_killed = 1;
  _exit(0);
}

static void run_program(void) {
  char out[MAX_CALLS][48];
  int installed = 0;
  first = 0;
  while (first < ncalls) {
    memset((void *)sh, 0, sizeof *sh);
    sh->installed = -1;
    sh->current = first;
    pid_t pid = fork();
    if (pid < 0) exit(4);
    if (pid == 0) child();
    int status;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (sh->installed != 0) {
      installed = sh->installed;
      for (int i = first; i < ncalls; i++) strcpy(out[i], "-");
      break;
    }
    int last = sh->finished ? ncalls - 1 : sh->current;
    for (int i = first; i <= last; i++) {
      if (sh->state[i] == RETURNED) snprintf(out[i], sizeof out[i], "r%ld", sh->result[i]);
      else if (sh->state[i] == TRAPPED) snprintf(out[i], sizeof out[i], "t%d,%d,%u", sh->trap_errno[i], sh->trap_syscall[i], sh->trap_arch[i]);
      else if (sh->thread_killed) strcpy(out[i], "k");
      else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) strcpy(out[i], "K");
      else if (WIFSIGNALED(status)) snprintf(out[i], sizeof out[i], "s%d", WTERMSIG(status));
      else snprintf(out[i], sizeof out[i], "e%d", WEXITSTATUS(status));
    }
    first = last + 1;
  }
  printf("%d", installed);
  for (int i = 0; i < ncalls; i++) printf(" %s", out[i]);
  printf("\n");
}

int main(void) {
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) return 2;
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (scanf("%d", &ncalls) != 1 || ncalls > MAX_CALLS) return 2;
  for (int i = 0; i < ncalls; i++) {
    struct call *c = &calls[i];
    if (scanf("%d %lx %lx %lx %lx %lx %lx %lx", &c->abi, &c->nr, &c->args[0], &c->args[1], &c->args[2], &c->args[3], &c->args[4], &c->args[5]) != 8) return 2;
  }
  printf("ip64 %lx ip32 %lx\n", (unsigned long)sbx_call64_ip, (unsigned long)sbx_call32_ip);
  int nprograms;
  if (scanf("%d", &nprograms) != 1) return 2;
  for (int p = 0; p < nprograms; p++) {
    unsigned len;
    if (scanf("%x", &len) != 1 || len > MAX_INSNS) return 2;
    for (unsigned i = 0; i < len; i++) {
      unsigned code, jt, jf, k;
      if (scanf("%x %x %x %x", &code, &jt, &jf, &k) != 4) return 2;
      insns[i] = (struct sock_filter){(unsigned short)code, (unsigned char)jt, (unsigned char)jf, k};
    }
    ninsns = (unsigned short)len;
    run_program();
  }
  return 0;
}
