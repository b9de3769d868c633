/*
 * Node-API glue over the OS backend (backend.h). Node-API only, so the one
 * .node file loads in Node, Bun and Deno. Numbers cross as doubles: ids are
 * small, byte counts stay below 2^53 (docs/contract.md#starting-a-splice: max <= MAX_SAFE_INTEGER).
 *
 * The JS side (src/_addon.ts) calls init(onEvents) once per environment;
 * the backend's threads wake it through a thread-safe function that is
 * referenced only while splices run, so an idle addon never keeps the
 * event loop alive.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

typedef struct addon {
  sp_engine *engine;
  napi_threadsafe_function tsfn;
  int refs;
} addon;

#define CHECK(call)                                 \
  do {                                              \
    if ((call) != napi_ok) return throw_napi(env);  \
  } while (0)

static napi_value throw_napi(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_NATIVE", info && info->error_message ? info->error_message : "Node-API call failed");
  return NULL;
}

static const char *errno_name(int err) {
  switch (err) {
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOTCONN: return "ENOTCONN";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case ENETDOWN: return "ENETDOWN";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EWOULDBLOCK: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case EIO: return "EIO";
    default: return "EUNKNOWN";
  }
}

/* Throws an Error like the runtime's own system errors: code, errno (negative), syscall. */
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char message[128];
  snprintf(message, sizeof message, "%s %s (%s)", syscall, errno_name(err), strerror(err));
  napi_value msg, error, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "code", value);
  napi_create_int32(env, -err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  napi_throw(env, error);
  return NULL;
}

static addon *get_addon(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  addon *a = data;
  if (a == NULL || a->engine == NULL) {
    napi_throw_error(env, "ERR_NATIVE_NOT_INITIALIZED", "init() was not called");
    return NULL;
  }
  return a;
}

static napi_status args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_status st = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (st == napi_ok && argc < want) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "missing arguments");
    return napi_invalid_arg;
  }
  return st;
}

static napi_status get_u32(napi_env env, napi_value v, uint32_t *out) {
  double d;
  napi_status st = napi_get_value_double(env, v, &d);
  if (st != napi_ok) return st;
  if (!(d >= 0 && d <= 4294967295.0)) return napi_invalid_arg;
  *out = (uint32_t)d;
  return napi_ok;
}

static napi_value number(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

/* Called on a splice thread: wakes the JS thread (calls are coalesced by the backend). */
static void notify(void *ctx) {
  addon *a = ctx;
  napi_call_threadsafe_function(a->tsfn, NULL, napi_tsfn_nonblocking);
}

static void cleanup(void *data) {
  addon *a = data;
  if (a->engine != NULL) sp_engine_free(a->engine);
  a->engine = NULL;
}

static void finalize_addon(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* init(onEvents): one engine per environment. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  CHECK(args(env, info, 1, argv));
  void *data = NULL;
  CHECK(napi_get_instance_data(env, &data));
  if (data != NULL) {
    napi_throw_error(env, "ERR_NATIVE_INITIALIZED", "init() was called already");
    return NULL;
  }
  addon *a = calloc(1, sizeof *a);
  if (a == NULL) return throw_errno(env, ENOMEM, "init");
  a->engine = sp_engine_new(notify, a);
  if (a->engine == NULL) {
    free(a);
    return throw_errno(env, ENOMEM, "init");
  }
  napi_value name;
  CHECK(napi_create_string_utf8(env, "sosplice", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, NULL, &a->tsfn) != napi_ok ||
      napi_unref_threadsafe_function(env, a->tsfn) != napi_ok) {
    sp_engine_free(a->engine);
    free(a);
    return throw_napi(env);
  }
  /* Registered after the thread-safe function, so it runs before that one is torn down. */
  CHECK(napi_add_env_cleanup_hook(env, cleanup, a));
  CHECK(napi_set_instance_data(env, a, finalize_addon, NULL));
  return NULL;
}

/* check(fd) -> 0, or the errno name why this fd cannot be spliced. */
static napi_value js_check(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  CHECK(args(env, info, 1, argv));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int rc = fd < 0 ? -EBADF : sp_check_fd(fd);
  if (rc == 0) return number(env, 0);
  napi_value v;
  CHECK(napi_create_string_utf8(env, errno_name(-rc), NAPI_AUTO_LENGTH, &v));
  return v;
}

/* start(srcFd, dstFd, budget) -> id; budget < 0: unlimited. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  addon *a = get_addon(env);
  if (a == NULL) return NULL;
  napi_value argv[3];
  CHECK(args(env, info, 3, argv));
  int32_t src, dst;
  double budget;
  CHECK(napi_get_value_int32(env, argv[0], &src));
  CHECK(napi_get_value_int32(env, argv[1], &dst));
  CHECK(napi_get_value_double(env, argv[2], &budget));
  uint64_t limit = budget < 0 ? UINT64_MAX : (uint64_t)budget;
  int64_t id = sp_start(a->engine, src, dst, limit);
  if (id < 0) return throw_errno(env, (int)-id, "splice");
  /* Keeps the event loop alive while bytes move, as the runtime's own reads would. */
  if (a->refs++ == 0) napi_ref_threadsafe_function(env, a->tsfn);
  return number(env, (double)id);
}

/* The engine and the splice id of a call whose only argument is an id; NULL (with an exception) otherwise. */
static addon *with_id(napi_env env, napi_callback_info info, uint32_t *id) {
  addon *a = get_addon(env);
  napi_value argv[1];
  if (a == NULL || args(env, info, 1, argv) != napi_ok) return NULL;
  if (get_u32(env, argv[0], id) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "a splice id must be a number");
    return NULL;
  }
  return a;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  uint32_t id;
  addon *a = with_id(env, info, &id);
  if (a == NULL) return NULL;
  int rc = sp_stop(a->engine, id);
  if (rc < 0) return throw_errno(env, -rc, "stop");
  return NULL;
}

/* progress(id, what): what 0 = bytes delivered so far, 1 = ms since bytes last moved. */
static napi_value js_progress(napi_env env, napi_callback_info info) {
  addon *a = get_addon(env);
  if (a == NULL) return NULL;
  napi_value argv[2];
  uint32_t id, what;
  CHECK(args(env, info, 2, argv));
  CHECK(get_u32(env, argv[0], &id));
  CHECK(get_u32(env, argv[1], &what));
  uint64_t value = 0;
  int rc = what == 0 ? sp_progress(a->engine, id, &value, NULL) : sp_progress(a->engine, id, NULL, &value);
  if (rc < 0) return throw_errno(env, -rc, "progress");
  return number(env, what == 0 ? (double)value : (double)value / 1e6);
}

/* events() -> ids of splices that ended since the last call. */
static napi_value js_events(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  if (a == NULL) return NULL;
  napi_value list;
  CHECK(napi_create_array(env, &list));
  uint32_t ids[256];
  uint32_t at = 0;
  for (;;) {
    size_t n = sp_events(a->engine, ids, 256);
    for (size_t i = 0; i < n; i++) CHECK(napi_set_element(env, list, at++, number(env, ids[i])));
    if (n < 256) break;
  }
  return list;
}

/* finish(id) -> { end, delivered, leftover?, errno?, code? } for an ended splice; frees its id. */
static napi_value js_finish(napi_env env, napi_callback_info info) {
  uint32_t id;
  addon *a = with_id(env, info, &id);
  if (a == NULL) return NULL;
  sp_result r;
  int rc = sp_finish(a->engine, id, &r);
  if (rc < 0) return throw_errno(env, -rc, "finish");
  if (--a->refs == 0) napi_unref_threadsafe_function(env, a->tsfn);
  napi_value out, v;
  napi_status st = napi_create_object(env, &out);
  if (st == napi_ok) st = napi_set_named_property(env, out, "end", number(env, r.end));
  if (st == napi_ok) st = napi_set_named_property(env, out, "delivered", number(env, (double)r.delivered));
  if (st == napi_ok && r.err != 0) {
    st = napi_set_named_property(env, out, "errno", number(env, -r.err));
    if (st == napi_ok) st = napi_create_string_utf8(env, errno_name(r.err), NAPI_AUTO_LENGTH, &v);
    if (st == napi_ok) st = napi_set_named_property(env, out, "code", v);
    if (st == napi_ok) st = napi_create_string_utf8(env, strerror(r.err), NAPI_AUTO_LENGTH, &v);
    if (st == napi_ok) st = napi_set_named_property(env, out, "message", v);
  }
  if (st == napi_ok && r.leftover_len > 0) {
    void *copy;
    napi_value buffer;
    st = napi_create_arraybuffer(env, r.leftover_len, &copy, &buffer);
    if (st == napi_ok) {
      memcpy(copy, r.leftover, r.leftover_len);
      st = napi_set_named_property(env, out, "leftover", buffer);
    }
  }
  free(r.leftover);
  if (st != napi_ok) return throw_napi(env);
  return out;
}

static napi_value js_reap(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  if (a == NULL) return NULL;
  sp_reap(a->engine);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  (void)info;
  addon *a = get_addon(env);
  if (a == NULL) return NULL;
  sp_stats s;
  sp_get_stats(a->engine, &s);
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "threads", number(env, s.threads)));
  CHECK(napi_set_named_property(env, out, "active", number(env, s.active)));
  CHECK(napi_set_named_property(env, out, "pipes", number(env, s.pipes)));
  CHECK(napi_set_named_property(env, out, "started", number(env, (double)s.started)));
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"check", NULL, js_check, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"progress", NULL, js_progress, NULL, NULL, NULL, napi_enumerable, NULL},
      {"events", NULL, js_events, NULL, NULL, NULL, napi_enumerable, NULL},
      {"finish", NULL, js_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reap", NULL, js_reap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
