/*
 * Linux backend: splice(2) from the source socket into a pipe and from the
 * pipe into the drain socket, so the bytes never enter userspace.
 *
 * - A small fixed set of splice threads (at most one per core), each one
 *   epoll loop over many splices, created when needed and ended by sp_reap()
 *   once idle. They run at a lower priority than the runtime's threads, as
 *   FreeBSD's splice workers do: a loop of spliced sockets must not starve
 *   the JavaScript thread that has to end it.
 * - A pipe per direction, taken from the thread's pool only while bytes are
 *   on their way (haproxy and Go's splice_linux.go keep pools too), sized
 *   with F_SETPIPE_SZ; SPLICE_F_NONBLOCK | SPLICE_F_MOVE.
 * - Exact budget: never more than the remaining budget is asked of the source.
 * - Every ending (EOF, budget, stop, errors) flushes what the pipe holds into
 *   the drain as far as the drain takes it now, then reads the rest back into
 *   userspace (sp_result.leftover), so an ending never waits on a stalled drain.
 * - Ownership: only a splice's thread touches its fds and pipe; the JS thread
 *   posts commands. A splice ended by its thread is published (sp_events)
 *   only after the thread finished the epoll batch that may still name it.
 */
#define _GNU_SOURCE
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16
#define PIPE_SIZE (1 << 20)    /* as Go's maxSpliceSize; the kernel may give less */
#define POOL_MAX 8             /* idle pipes kept per thread */
#define ROUNDS 8               /* fill/drain rounds per turn, so one busy splice cannot hog a thread */
#define THREAD_NICE 5          /* below the runtime's threads, yet not starved on a busy machine */
#define THREAD_STACK (256 * 1024)
#define SPLICE_FLAGS (SPLICE_F_NONBLOCK | SPLICE_F_MOVE)

typedef struct sp_worker sp_worker;

typedef struct sp_splice {
  uint32_t id;
  sp_worker *w;
  int src, dst;             /* our duplicates of the caller's fds */
  int pipe_r, pipe_w;       /* -1 while no bytes are on their way */
  size_t pipe_cap;
  uint64_t budget;          /* UINT64_MAX: unlimited */
  size_t in_pipe;
  /* Bytes at the pipe's tail read after the source was reset: never delivered (see src_reset()). */
  size_t suspect;
  _Atomic uint64_t delivered;
  /* Set while a write into the drain is in flight: the peer may hold bytes `delivered` does not count yet. */
  _Atomic int writing;
  _Atomic uint64_t last_move_ns;
  bool src_ready, dst_ready, src_eof, pipe_full, registered;
  int src_err;
  /* Set by the thread; read by the JS thread after publication. */
  sp_result result;
  bool ended;               /* the thread is done with it (published at the end of the batch) */
  bool published;           /* under e->lock */
  bool stop_queued;         /* under w->lock */
  bool in_ready;
  struct sp_splice *next_ready, *next_cmd, *next_done;
  bool is_add;              /* the queued command is the first one: register */
} sp_splice;

struct sp_worker {
  sp_engine *e;
  pthread_t thread;
  int ep, wake;
  pthread_mutex_t lock;     /* guards cmds and exit */
  sp_splice *cmds;          /* commands posted by the JS thread (add or stop) */
  bool exit;
  uint32_t nsplices;        /* JS thread only: started and not finished */
  /* Thread only: */
  sp_splice *ready_head, *ready_tail, *done;
  int pool[POOL_MAX][2];
  size_t pooled;
};

struct sp_engine {
  void (*notify)(void *ctx);
  void *ctx;
  pthread_mutex_t lock;     /* guards events */
  uint32_t *events;
  size_t nevents, cap_events;
  /* JS thread only: */
  sp_splice **table;
  size_t ntable;
  uint32_t *free_ids;
  size_t nfree;
  sp_worker *workers[MAX_THREADS];
  size_t nworkers, max_workers;
  uint32_t active;
  uint64_t started;
  _Atomic uint32_t pipes;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* --- pipes (thread only) --- */

static int pipe_get(sp_worker *w, sp_splice *s) {
  int fds[2];
  if (w->pooled > 0) {
    w->pooled--;
    fds[0] = w->pool[w->pooled][0];
    fds[1] = w->pool[w->pooled][1];
  } else {
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -errno;
    atomic_fetch_add(&w->e->pipes, 1);
    /* Unprivileged users may be refused above their pipe quota: the default size still works. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
  }
  int size = fcntl(fds[1], F_GETPIPE_SZ);
  s->pipe_cap = size > 0 ? (size_t)size : 65536;
  s->pipe_r = fds[0];
  s->pipe_w = fds[1];
  return 0;
}

/* Gives an empty pipe back to the pool (or closes it); a pipe with bytes in it is closed. */
static void pipe_put(sp_worker *w, sp_splice *s) {
  if (s->pipe_r < 0) return;
  if (s->in_pipe == 0 && w->pooled < POOL_MAX) {
    w->pool[w->pooled][0] = s->pipe_r;
    w->pool[w->pooled][1] = s->pipe_w;
    w->pooled++;
  } else {
    close(s->pipe_r);
    close(s->pipe_w);
    atomic_fetch_sub(&w->e->pipes, 1);
  }
  s->pipe_r = s->pipe_w = -1;
  s->in_pipe = 0;
}

/* --- the ready list (thread only): splices with work left after their turn --- */

static void mark_ready(sp_worker *w, sp_splice *s) {
  if (s->in_ready || s->ended) return;
  s->in_ready = true;
  s->next_ready = NULL;
  if (w->ready_tail != NULL) w->ready_tail->next_ready = s;
  else w->ready_head = s;
  w->ready_tail = s;
}

/*
 * One splice from the pipe into the drain, counted. `writing` brackets it so
 * that sp_progress() never reports a count the peer has already overtaken.
 */
static ssize_t drain_pipe(sp_splice *s) {
  atomic_store(&s->writing, 1);
  ssize_t n = splice(s->pipe_r, NULL, s->dst, NULL, s->in_pipe - s->suspect, SPLICE_FLAGS);
  int err = errno;
  if (n > 0) {
    s->in_pipe -= (size_t)n;
    atomic_fetch_add(&s->delivered, (uint64_t)n);
    atomic_store(&s->last_move_ns, now_ns());
  }
  atomic_store(&s->writing, 0);
  errno = err;
  return n;
}

/*
 * A pending error of the source (a reset nobody read yet): the runtime may
 * have closed its fd on the reset's hang-up, or our stop may come before a
 * read, and either way an EOF or a stop must not hide it.
 */
static int src_pending_error(const sp_splice *s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->src, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return 0;
  return err;
}

/*
 * The source has a pending error (a reset): a runtime may read it now even
 * with its reads paused (Bun does, on the hang-up), so bytes spliced from
 * here on may come after bytes the runtime took. The error stays pending
 * until a read finds the receive queue empty, so a read of ours that got
 * bytes and finds no error after it was not overtaken. A hang-up alone is
 * not one: after our own shutdown a clean FIN leaves the socket hung up too.
 */
static bool src_reset(const sp_splice *s) {
  struct pollfd p = {.fd = s->src, .events = 0, .revents = 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLERR) != 0;
}

/* --- endings (thread only) --- */

/*
 * Ends a splice: hands the drain what it takes now, reads the rest of the
 * pipe back, lets go of every fd. Publication waits for the end of the batch.
 */
static void finish(sp_worker *w, sp_splice *s, int end, int err) {
  if (s->ended) return;
  if (end == SP_END_EOF || end == SP_END_STOPPED) {
    int pending = src_pending_error(s);
    if (pending != 0) {
      end = SP_END_SRC_ERR;
      err = pending;
    }
  }
  if (s->in_pipe > s->suspect && end != SP_END_DST_ERR) {
    for (;;) {
      ssize_t n = drain_pipe(s);
      if (n > 0) {
        if (s->in_pipe == s->suspect) break;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break; /* full, or failed: what is left goes back to userspace */
      }
    }
  }
  size_t keep = s->in_pipe - s->suspect;
  if (keep > 0) {
    s->result.leftover = malloc(keep);
    size_t got = 0;
    while (s->result.leftover != NULL && got < keep) {
      ssize_t n = read(s->pipe_r, s->result.leftover + got, keep - got);
      if (n > 0) got += (size_t)n;
      else if (n < 0 && errno == EINTR) continue;
      else break;
    }
    s->result.leftover_len = got;
    /* Bytes that could be neither delivered nor read back (no memory): say so. */
    if (got < keep && end != SP_END_SRC_ERR && end != SP_END_DST_ERR) {
      end = SP_END_SRC_ERR;
      err = s->result.leftover == NULL ? ENOMEM : EIO;
    }
    s->in_pipe = got == keep ? s->suspect : s->in_pipe;
  }
  pipe_put(w, s);
  if (s->registered) {
    /* Before close(): epoll watches the open file, which the runtime's fd keeps alive. */
    epoll_ctl(w->ep, EPOLL_CTL_DEL, s->src, NULL);
    epoll_ctl(w->ep, EPOLL_CTL_DEL, s->dst, NULL);
    s->registered = false;
  }
  close_fd(&s->src);
  close_fd(&s->dst);
  s->result.end = end;
  s->result.err = err;
  s->result.delivered = atomic_load(&s->delivered);
  s->ended = true;
  s->next_done = w->done;
  w->done = s;
}

/* Publishes the splices this batch ended, so the JS thread may free them. */
static void publish(sp_worker *w) {
  if (w->done == NULL) return;
  sp_engine *e = w->e;
  bool was_empty;
  pthread_mutex_lock(&w->lock);
  /* A stop posted for a splice that ended meanwhile is dropped with it. */
  for (sp_splice **p = &w->cmds; *p != NULL;) {
    if ((*p)->ended) {
      (*p)->stop_queued = false;
      *p = (*p)->next_cmd;
    } else {
      p = &(*p)->next_cmd;
    }
  }
  pthread_mutex_lock(&e->lock);
  was_empty = e->nevents == 0;
  sp_splice *s = w->done;
  while (s != NULL) {
    if (e->nevents == e->cap_events) {
      size_t cap = e->cap_events ? e->cap_events * 2 : 64;
      uint32_t *grown = realloc(e->events, cap * sizeof *grown);
      if (grown == NULL) break; /* the rest is published at the next batch */
      e->events = grown;
      e->cap_events = cap;
    }
    e->events[e->nevents++] = s->id;
    sp_splice *next = s->next_done;
    /* From here on the JS thread may free it: touch it no more. */
    s->published = true;
    s = next;
  }
  w->done = s;
  pthread_mutex_unlock(&e->lock);
  pthread_mutex_unlock(&w->lock);
  if (was_empty) e->notify(e->ctx);
}

/* --- moving bytes (thread only) --- */

static void pump(sp_worker *w, sp_splice *s) {
  for (int round = 0; round < ROUNDS; round++) {
    bool progress = false;
    if (s->src_ready && !s->src_eof && s->budget > 0 && !s->pipe_full) {
      if (s->pipe_r < 0) {
        int rc = pipe_get(w, s);
        if (rc < 0) return finish(w, s, SP_END_SRC_ERR, -rc);
      }
      size_t want = s->pipe_cap - s->in_pipe;
      if (s->budget < want) want = (size_t)s->budget;
      if (want == 0) {
        s->pipe_full = true;
      } else {
        ssize_t n = splice(s->src, NULL, s->pipe_w, NULL, want, SPLICE_FLAGS);
        if (n > 0) {
          s->in_pipe += (size_t)n;
          if (s->budget != UINT64_MAX) s->budget -= (uint64_t)n;
          progress = true;
          /*
           * Checked after each read (see src_reset()): no reset pending now,
           * so the runtime took nothing before these bytes. Reset by now:
           * they may come after bytes it took, and are dropped (the tail of
           * a failed source, as a reset drops what the peer had in flight),
           * never delivered out of order.
           */
          if (src_reset(s)) {
            s->suspect = (size_t)n;
            int pending = src_pending_error(s);
            s->src_err = pending != 0 ? pending : ECONNRESET;
            s->src_eof = true;
          }
        } else if (n == 0) {
          s->src_eof = true;
        } else if (errno == EAGAIN) {
          /* With bytes in the pipe EAGAIN may mean "pipe full" (one slot per skb): retry after a drain. */
          if (s->in_pipe > 0) s->pipe_full = true;
          else s->src_ready = false;
        } else if (errno == EINTR) {
          progress = true;
        } else {
          s->src_err = errno;
          s->src_eof = true;
        }
      }
    }
    if (s->dst_ready && s->in_pipe > s->suspect) {
      ssize_t n = drain_pipe(s);
      if (n > 0) {
        s->pipe_full = false;
        progress = true;
      } else if (n < 0 && errno == EINTR) {
        progress = true;
      } else if (n < 0 && errno != EAGAIN) {
        return finish(w, s, SP_END_DST_ERR, errno);
      } else {
        s->dst_ready = false;
      }
    }
    if (s->src_err != 0) return finish(w, s, SP_END_SRC_ERR, s->src_err);
    if (s->src_eof) return finish(w, s, SP_END_EOF, 0);
    if (s->budget == 0) return finish(w, s, SP_END_MAX, 0);
    /* Nothing on its way and nothing to read: the pipe goes back to the pool (idle splices hold none). */
    if (s->in_pipe == 0 && !s->src_ready) pipe_put(w, s);
    if (!progress) return;
  }
  mark_ready(w, s);
}

static void add(sp_worker *w, sp_splice *s) {
  struct epoll_event ev = {0};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = (uint64_t)(uintptr_t)s;
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, s->src, &ev) < 0) return finish(w, s, SP_END_SRC_ERR, errno);
  ev.events = EPOLLOUT | EPOLLET;
  ev.data.u64 = (uint64_t)(uintptr_t)s | 1u;
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, s->dst, &ev) < 0) {
    int err = errno;
    epoll_ctl(w->ep, EPOLL_CTL_DEL, s->src, NULL);
    return finish(w, s, SP_END_DST_ERR, err);
  }
  s->registered = true;
  s->src_ready = s->dst_ready = true;
  pump(w, s);
}

static void run_commands(sp_worker *w) {
  pthread_mutex_lock(&w->lock);
  sp_splice *cmds = w->cmds;
  w->cmds = NULL;
  pthread_mutex_unlock(&w->lock);
  /*
   * Each entry stays marked queued until it is taken below, under the lock:
   * a stop posted meanwhile finds it queued and leaves its next_cmd alone
   * (clearing the whole batch's marks first let sp_stop() re-link an entry
   * this loop had not reached, losing or repeating the commands after it).
   * Posted newest first: run them oldest first.
   */
  sp_splice *ordered = NULL;
  while (cmds != NULL) {
    sp_splice *next = cmds->next_cmd;
    cmds->next_cmd = ordered;
    ordered = cmds;
    cmds = next;
  }
  for (sp_splice *s = ordered; s != NULL;) {
    pthread_mutex_lock(&w->lock);
    sp_splice *next = s->next_cmd;
    /* An add that sp_stop() turned into a stop (is_add cleared) runs as the stop. */
    bool is_add = s->is_add;
    s->is_add = false;
    s->stop_queued = false;
    pthread_mutex_unlock(&w->lock);
    if (is_add) {
      add(w, s);
    } else {
      finish(w, s, SP_END_STOPPED, 0);
    }
    s = next;
  }
}

static void *worker_main(void *arg) {
  sp_worker *w = arg;
  /* Named, so that tools (and the demo) can see the kernel path at work in /proc/<pid>/task/<tid>/comm. */
  pthread_setname_np(pthread_self(), "sosplice-splice");
  /* Lower this thread only (Linux: setpriority on a thread id); failure just leaves it at the default. */
  (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), THREAD_NICE);
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(w->ep, evs, 64, w->ready_head != NULL || w->done != NULL ? 0 : -1);
    if (n < 0) n = 0; /* EINTR; anything else cannot happen on a valid epoll fd */
    bool wake = false;
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag == 0) {
        wake = true;
        continue;
      }
      sp_splice *s = (sp_splice *)(uintptr_t)(tag & ~(uint64_t)1);
      if (s->ended) continue;
      if (tag & 1) s->dst_ready = true;
      else s->src_ready = true;
      s->pipe_full = false;
      mark_ready(w, s);
    }
    if (wake) {
      uint64_t v;
      (void)!read(w->wake, &v, sizeof v);
    }
    run_commands(w);
    /* One turn for each splice that was ready when this pass began. */
    sp_splice *turn = w->ready_head;
    w->ready_head = w->ready_tail = NULL;
    while (turn != NULL) {
      sp_splice *s = turn;
      turn = s->next_ready;
      s->in_ready = false;
      if (!s->ended) pump(w, s);
    }
    publish(w);
    pthread_mutex_lock(&w->lock);
    bool leave = w->exit;
    pthread_mutex_unlock(&w->lock);
    if (leave) break;
  }
  while (w->pooled > 0) {
    w->pooled--;
    close(w->pool[w->pooled][0]);
    close(w->pool[w->pooled][1]);
    atomic_fetch_sub(&w->e->pipes, 1);
  }
  return NULL;
}

static void wake(sp_worker *w) {
  uint64_t one = 1;
  (void)!write(w->wake, &one, sizeof one);
}

static void worker_free(sp_worker *w) {
  close_fd(&w->ep);
  close_fd(&w->wake);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

static sp_worker *worker_new(sp_engine *e) {
  sp_worker *w = calloc(1, sizeof *w);
  if (w == NULL) return NULL;
  w->e = e;
  w->ep = epoll_create1(EPOLL_CLOEXEC);
  w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  pthread_mutex_init(&w->lock, NULL);
  struct epoll_event ev = {0};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (w->ep < 0 || w->wake < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake, &ev) < 0) {
    worker_free(w);
    return NULL;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, THREAD_STACK);
  /* The thread inherits a full signal mask: signals stay the runtime's business. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&w->thread, &attr, worker_main, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    worker_free(w);
    return NULL;
  }
  return w;
}

static void worker_join(sp_worker *w) {
  pthread_mutex_lock(&w->lock);
  w->exit = true;
  pthread_mutex_unlock(&w->lock);
  wake(w);
  pthread_join(w->thread, NULL);
  worker_free(w);
}

/* The least loaded thread; a new one while there are fewer than the cores and all are busy. */
static sp_worker *pick_worker(sp_engine *e) {
  sp_worker *best = NULL;
  for (size_t i = 0; i < e->nworkers; i++) {
    if (best == NULL || e->workers[i]->nsplices < best->nsplices) best = e->workers[i];
  }
  if ((best == NULL || best->nsplices > 0) && e->nworkers < e->max_workers) {
    sp_worker *w = worker_new(e);
    if (w != NULL) {
      e->workers[e->nworkers++] = w;
      return w;
    }
  }
  return best;
}

/* --- the JS thread's side --- */

sp_engine *sp_engine_new(void (*notify)(void *ctx), void *ctx) {
  sp_engine *e = calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->notify = notify;
  e->ctx = ctx;
  pthread_mutex_init(&e->lock, NULL);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  e->max_workers = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (size_t)cores;
  return e;
}

int sp_check_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -errno;
  if (!S_ISSOCK(st.st_mode)) return -ENOTSOCK;
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return -errno;
  if (type != SOCK_STREAM) return -EPROTOTYPE;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  /* A blocking socket would block a splice thread for every splice on it. */
  if (!(flags & O_NONBLOCK)) return -EWOULDBLOCK;
  return 0;
}

static void splice_free(sp_splice *s) {
  close_fd(&s->src);
  close_fd(&s->dst);
  free(s->result.leftover);
  free(s);
}

int64_t sp_start(sp_engine *e, int src, int dst, uint64_t budget) {
  if (e->nfree == 0 && e->ntable >= UINT32_MAX) return -EMFILE;
  sp_splice *s = calloc(1, sizeof *s);
  if (s == NULL) return -ENOMEM;
  s->pipe_r = s->pipe_w = -1;
  s->budget = budget;
  s->src = fcntl(src, F_DUPFD_CLOEXEC, 0);
  s->dst = s->src < 0 ? -1 : fcntl(dst, F_DUPFD_CLOEXEC, 0);
  if (s->src < 0 || s->dst < 0) {
    int err = errno;
    splice_free(s);
    return -err;
  }
  if (e->nfree == 0) {
    size_t cap = e->ntable ? e->ntable * 2 : 64;
    sp_splice **table = realloc(e->table, cap * sizeof *table);
    uint32_t *ids = table == NULL ? NULL : realloc(e->free_ids, cap * sizeof *ids);
    if (table != NULL) e->table = table;
    if (ids == NULL) {
      splice_free(s);
      return -ENOMEM;
    }
    e->free_ids = ids;
    for (size_t i = cap; i > e->ntable; i--) e->free_ids[e->nfree++] = (uint32_t)(i - 1);
    for (size_t i = e->ntable; i < cap; i++) e->table[i] = NULL;
    e->ntable = cap;
  }
  sp_worker *w = pick_worker(e);
  if (w == NULL) {
    splice_free(s);
    return -EAGAIN;
  }
  s->id = e->free_ids[--e->nfree];
  e->table[s->id] = s;
  s->w = w;
  w->nsplices++;
  e->active++;
  e->started++;
  atomic_store(&s->last_move_ns, now_ns());
  s->is_add = true;
  pthread_mutex_lock(&w->lock);
  s->stop_queued = true;
  s->next_cmd = w->cmds;
  w->cmds = s;
  pthread_mutex_unlock(&w->lock);
  wake(w);
  return s->id;
}

static sp_splice *lookup(sp_engine *e, uint32_t id) {
  return id < e->ntable ? e->table[id] : NULL;
}

int sp_stop(sp_engine *e, uint32_t id) {
  sp_splice *s = lookup(e, id);
  if (s == NULL) return -ENOENT;
  sp_worker *w = s->w;
  bool post;
  pthread_mutex_lock(&w->lock);
  pthread_mutex_lock(&e->lock);
  bool published = s->published;
  pthread_mutex_unlock(&e->lock);
  /* Queued already (its add, or an earlier stop) or ended: nothing more to post. */
  post = !published && !s->stop_queued;
  if (post) {
    s->stop_queued = true;
    s->next_cmd = w->cmds;
    w->cmds = s;
  } else if (!published && s->is_add) {
    /* Stopped before its thread even registered it: the add becomes the stop. */
    s->is_add = false;
  }
  pthread_mutex_unlock(&w->lock);
  if (post) wake(w);
  return 0;
}

int sp_progress(sp_engine *e, uint32_t id, uint64_t *delivered, uint64_t *quiet_ns) {
  sp_splice *s = lookup(e, id);
  if (s == NULL) return -ENOENT;
  /*
   * A write in flight may have reached the peer already (which this thread
   * may have seen): wait for its count (only when the count is asked for). Microseconds, unless the splice
   * thread was preempted; bounded at about 50 ms in any case.
   */
  for (int i = 0; i < 2500 && delivered != NULL && atomic_load(&s->writing); i++) {
    struct timespec pause = {0, 20000};
    nanosleep(&pause, NULL);
  }
  if (delivered != NULL) *delivered = atomic_load(&s->delivered);
  uint64_t t = now_ns(), last = atomic_load(&s->last_move_ns);
  if (quiet_ns != NULL) *quiet_ns = t > last ? t - last : 0;
  return 0;
}

size_t sp_events(sp_engine *e, uint32_t *ids, size_t cap) {
  pthread_mutex_lock(&e->lock);
  size_t n = e->nevents < cap ? e->nevents : cap;
  memcpy(ids, e->events, n * sizeof *ids);
  memmove(e->events, e->events + n, (e->nevents - n) * sizeof *ids);
  e->nevents -= n;
  pthread_mutex_unlock(&e->lock);
  return n;
}

int sp_finish(sp_engine *e, uint32_t id, sp_result *out) {
  sp_splice *s = lookup(e, id);
  if (s == NULL) return -ENOENT;
  pthread_mutex_lock(&e->lock);
  bool published = s->published;
  pthread_mutex_unlock(&e->lock);
  if (!published) return -EBUSY;
  *out = s->result;
  s->result.leftover = NULL;
  e->table[id] = NULL;
  e->free_ids[e->nfree++] = id;
  s->w->nsplices--;
  e->active--;
  splice_free(s);
  return 0;
}

void sp_reap(sp_engine *e) {
  size_t kept = 0;
  for (size_t i = 0; i < e->nworkers; i++) {
    sp_worker *w = e->workers[i];
    if (w->nsplices == 0) worker_join(w);
    else e->workers[kept++] = w;
  }
  e->nworkers = kept;
}

void sp_get_stats(sp_engine *e, sp_stats *out) {
  out->threads = (uint32_t)e->nworkers;
  out->active = e->active;
  out->pipes = atomic_load(&e->pipes);
  out->started = e->started;
}

void sp_engine_free(sp_engine *e) {
  /* Stop everything, let each thread finish its splices, then join. */
  for (uint32_t id = 0; id < e->ntable; id++) {
    if (e->table[id] != NULL) sp_stop(e, id);
  }
  for (size_t i = 0; i < e->nworkers; i++) worker_join(e->workers[i]);
  for (uint32_t id = 0; id < e->ntable; id++) {
    if (e->table[id] != NULL) splice_free(e->table[id]);
  }
  free(e->table);
  free(e->free_ids);
  free(e->events);
  pthread_mutex_destroy(&e->lock);
  free(e);
}
