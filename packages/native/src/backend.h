/*
 * The interface every OS backend of @sosplice/native implements; addon.c is
 * the Node-API glue over it and knows nothing of splice(2) or SO_SPLICE.
 *
 * Built today: linux-splice.c (splice(2) through a pipe, on splice threads).
 * The place for a BSD backend is bsd-sosplice.c with setsockopt(SO_SPLICE)
 * (OpenBSD, FreeBSD >= 15); it is not written, so nothing claims it.
 *
 * Threading contract: every sp_* function is called from the one JavaScript
 * thread that owns the engine. The backend's own threads call `notify` when
 * sp_events() has something new.
 */
#ifndef SOSPLICE_BACKEND_H
#define SOSPLICE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef struct sp_engine sp_engine;

/* How a splice ended. */
enum sp_end {
  SP_END_NONE = 0,    /* still running */
  SP_END_EOF = 1,     /* the source reached EOF */
  SP_END_MAX = 2,     /* the budget was taken from the source */
  SP_END_STOPPED = 3, /* sp_stop() */
  SP_END_SRC_ERR = 4, /* the source failed (errno in err) */
  SP_END_DST_ERR = 5  /* the drain failed (errno in err) */
};

typedef struct sp_result {
  int end;               /* enum sp_end */
  int err;               /* errno for SP_END_*_ERR, else 0 */
  uint64_t delivered;    /* bytes written into the drain by the backend */
  uint8_t *leftover;     /* bytes taken from the source and not delivered; free() it */
  size_t leftover_len;
} sp_result;

typedef struct sp_stats {
  uint32_t threads;  /* splice threads alive */
  uint32_t active;   /* splices started and not finished */
  uint32_t pipes;    /* pipes open (in use and pooled) */
  uint64_t started;  /* splices ever started */
} sp_stats;

sp_engine *sp_engine_new(void (*notify)(void *ctx), void *ctx);
/* Stops every splice and thread, closes every fd, frees. */
void sp_engine_free(sp_engine *e);

/* Whether `fd` can be spliced: a connected, non-blocking stream socket. 0 or -errno. */
int sp_check_fd(int fd);
/*
 * Starts splicing `src` into `dst` (both stay owned by the caller; the
 * backend works on duplicates). `budget` = bytes it may take from `src`,
 * UINT64_MAX for no limit. Returns an id >= 0, or -errno.
 */
int64_t sp_start(sp_engine *e, int src, int dst, uint64_t budget);
/* Asks the splice to end (SP_END_STOPPED unless it ended already). 0 or -errno. */
int sp_stop(sp_engine *e, uint32_t id);
/* Bytes delivered so far and nanoseconds since bytes last moved (either may be NULL). 0 or -errno. */
int sp_progress(sp_engine *e, uint32_t id, uint64_t *delivered, uint64_t *quiet_ns);
/* Ids of splices that ended since the last call; returns how many (<= cap). */
size_t sp_events(sp_engine *e, uint32_t *ids, size_t cap);
/* The result of an ended splice, and its id is freed. 0 or -errno (-EBUSY: still running). */
int sp_finish(sp_engine *e, uint32_t id, sp_result *out);
/* Ends splice threads that have nothing to do. */
void sp_reap(sp_engine *e);
void sp_get_stats(sp_engine *e, sp_stats *out);

#endif
