/*
 * corral-c-client-driver: drives a ZooKeeper-protocol server through Apache ZooKeeper's own C
 * client (libzookeeper_mt) and prints one line per step, e.g.
 *
 *     create /c_basic/a -> ZOK /c_basic/a
 *     get /c_basic/a -> ZOK "hello" version=0 cversion=0 aversion=0 dataLength=5 ...
 *
 * Usage: corral-c-client-driver HOST:PORT SCENARIO BASE_PATH
 *
 * Every scenario works under BASE_PATH (which it creates). Result codes are printed, not judged:
 * tests/integration/test_c_client.py compares the lines with what ZooKeeper answers. The exit
 * status is 0 when the scenario ran to its end and 1 when it could not (no connection, an
 * awaited watch event never came, bad usage).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The synchronous API of libzookeeper_mt is declared only for THREADED builds. */
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

#define TIMEOUT_MS 10000
#define MAX_CHILDREN 64

static const char *g_hosts;

/* ------------------------------------------------------------------------------------------ */
/* Printing                                                                                   */

static const char *err_name(int rc) {
    switch (rc) {
    case ZOK: return "ZOK";
    case ZSYSTEMERROR: return "ZSYSTEMERROR";
    case ZRUNTIMEINCONSISTENCY: return "ZRUNTIMEINCONSISTENCY";
    case ZDATAINCONSISTENCY: return "ZDATAINCONSISTENCY";
    case ZCONNECTIONLOSS: return "ZCONNECTIONLOSS";
    case ZMARSHALLINGERROR: return "ZMARSHALLINGERROR";
    case ZUNIMPLEMENTED: return "ZUNIMPLEMENTED";
    case ZOPERATIONTIMEOUT: return "ZOPERATIONTIMEOUT";
    case ZBADARGUMENTS: return "ZBADARGUMENTS";
    case ZINVALIDSTATE: return "ZINVALIDSTATE";
    case ZAPIERROR: return "ZAPIERROR";
    case ZNONODE: return "ZNONODE";
    case ZNOAUTH: return "ZNOAUTH";
    case ZBADVERSION: return "ZBADVERSION";
    case ZNOCHILDRENFOREPHEMERALS: return "ZNOCHILDRENFOREPHEMERALS";
    case ZNODEEXISTS: return "ZNODEEXISTS";
    case ZNOTEMPTY: return "ZNOTEMPTY";
    case ZSESSIONEXPIRED: return "ZSESSIONEXPIRED";
    case ZINVALIDCALLBACK: return "ZINVALIDCALLBACK";
    case ZINVALIDACL: return "ZINVALIDACL";
    case ZAUTHFAILED: return "ZAUTHFAILED";
    case ZCLOSING: return "ZCLOSING";
    case ZNOTHING: return "ZNOTHING";
    case ZSESSIONMOVED: return "ZSESSIONMOVED";
    case ZNOTREADONLY: return "ZNOTREADONLY";
    case ZNOWATCHER: return "ZNOWATCHER";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "ERR(%d)", rc);
        return buf;
    }
    }
}

static const char *event_name(int type) {
    if (type == ZOO_CREATED_EVENT) return "CREATED";
    if (type == ZOO_DELETED_EVENT) return "DELETED";
    if (type == ZOO_CHANGED_EVENT) return "CHANGED";
    if (type == ZOO_CHILD_EVENT) return "CHILD";
    if (type == ZOO_SESSION_EVENT) return "SESSION";
    if (type == ZOO_NOTWATCHING_EVENT) return "NOTWATCHING";
    return "UNKNOWN";
}

static const char *state_name(int state) {
    if (state == ZOO_CONNECTED_STATE) return "CONNECTED";
    if (state == ZOO_CONNECTING_STATE) return "CONNECTING";
    if (state == ZOO_ASSOCIATING_STATE) return "ASSOCIATING";
    if (state == ZOO_EXPIRED_SESSION_STATE) return "EXPIRED_SESSION";
    if (state == ZOO_AUTH_FAILED_STATE) return "AUTH_FAILED";
    if (state == ZOO_READONLY_STATE) return "READONLY";
    if (state == ZOO_NOTCONNECTED_STATE) return "NOTCONNECTED";
    return "UNKNOWN";
}

static void out(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void fail(const char *fmt, ...) {
    va_list ap;
    printf("FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    exit(1);
}

static const char *stat_str(const struct Stat *st) {
    static char buf[256];
    snprintf(buf, sizeof buf,
             "version=%d cversion=%d aversion=%d dataLength=%d numChildren=%d "
             "ephemeralOwner=0x%llx",
             st->version, st->cversion, st->aversion, st->dataLength, st->numChildren,
             (unsigned long long)st->ephemeralOwner);
    return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* An ordered queue of lines produced on the client's completion thread (watch events and     */
/* async completions), consumed by the scenario thread.                                       */

#define QUEUE_CAP 256
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static char *q_items[QUEUE_CAP];
static int q_head, q_tail;

static void q_push(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&q_mu);
    if (q_tail - q_head < QUEUE_CAP) {
        q_items[q_tail++ % QUEUE_CAP] = strdup(buf);
        pthread_cond_broadcast(&q_cv);
    }
    pthread_mutex_unlock(&q_mu);
}

static void deadline_after(struct timespec *ts, int ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Pops the next line, waiting up to TIMEOUT_MS; the scenario fails when nothing comes. */
static char *q_pop(const char *awaiting) {
    struct timespec ts;
    deadline_after(&ts, TIMEOUT_MS);
    pthread_mutex_lock(&q_mu);
    while (q_head == q_tail) {
        if (pthread_cond_timedwait(&q_cv, &q_mu, &ts) == ETIMEDOUT) {
            pthread_mutex_unlock(&q_mu);
            fail("timed out awaiting %s", awaiting);
        }
    }
    char *item = q_items[q_head++ % QUEUE_CAP];
    pthread_mutex_unlock(&q_mu);
    return item;
}

/* Prints the next queued line. */
static void print_next(const char *awaiting) {
    char *item = q_pop(awaiting);
    out("%s", item);
    free(item);
}

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    q_push("event %s %s", event_name(type), path ? path : "");
}

/* ------------------------------------------------------------------------------------------ */
/* Connections                                                                                */

struct conn {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;
};

static void session_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    struct conn *c = ctx;
    if (type != ZOO_SESSION_EVENT) return;
    pthread_mutex_lock(&c->mu);
    c->state = state;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static zhandle_t *connect_zk(void) {
    struct conn *c = calloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    zhandle_t *zh = zookeeper_init(g_hosts, session_watcher, 10000, NULL, c, 0);
    if (!zh) fail("zookeeper_init: %s", strerror(errno));
    struct timespec ts;
    deadline_after(&ts, 3 * TIMEOUT_MS);
    pthread_mutex_lock(&c->mu);
    while (c->state != ZOO_CONNECTED_STATE) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT) {
            pthread_mutex_unlock(&c->mu);
            fail("no connection to %s", g_hosts);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return zh;
}

/* ------------------------------------------------------------------------------------------ */
/* Synchronous operations, each printing one line                                             */

static int do_create(zhandle_t *zh, const char *path, const char *value, int len, int mode,
                     const struct ACL_vector *acl, char *created, int created_len) {
    char buf[512];
    int rc = zoo_create(zh, path, value, len, acl ? acl : &ZOO_OPEN_ACL_UNSAFE, mode, buf,
                        sizeof buf);
    if (rc == ZOK) {
        out("create %s -> ZOK %s", path, buf);
        if (created) snprintf(created, created_len, "%s", buf);
    } else {
        out("create %s -> %s", path, err_name(rc));
    }
    return rc;
}

static int create_plain(zhandle_t *zh, const char *path, const char *value) {
    return do_create(zh, path, value, value ? (int)strlen(value) : -1, ZOO_PERSISTENT, NULL,
                     NULL, 0);
}

static int do_get(zhandle_t *zh, const char *path) {
    char buf[1024];
    int len = sizeof buf;
    struct Stat st;
    int rc = zoo_get(zh, path, 0, buf, &len, &st);
    if (rc != ZOK)
        out("get %s -> %s", path, err_name(rc));
    else if (len < 0)
        out("get %s -> ZOK null %s", path, stat_str(&st));
    else
        out("get %s -> ZOK \"%.*s\" %s", path, len, buf, stat_str(&st));
    return rc;
}

static int do_set(zhandle_t *zh, const char *path, const char *value, int version) {
    struct Stat st;
    int rc = zoo_set2(zh, path, value, (int)strlen(value), version, &st);
    if (rc == ZOK)
        out("set %s v%d -> ZOK %s", path, version, stat_str(&st));
    else
        out("set %s v%d -> %s", path, version, err_name(rc));
    return rc;
}

static int do_exists(zhandle_t *zh, const char *path) {
    struct Stat st;
    int rc = zoo_exists(zh, path, 0, &st);
    if (rc == ZOK)
        out("exists %s -> ZOK %s", path, stat_str(&st));
    else
        out("exists %s -> %s", path, err_name(rc));
    return rc;
}

static int do_delete(zhandle_t *zh, const char *path, int version) {
    int rc = zoo_delete(zh, path, version);
    out("delete %s v%d -> %s", path, version, err_name(rc));
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Children are printed sorted: the server's order is unspecified. */
static const char *children_str(struct String_vector *v) {
    static char buf[4096];
    qsort(v->data, v->count, sizeof(char *), cmp_str);
    size_t n = 0;
    buf[n++] = '[';
    buf[n] = 0;
    for (int i = 0; i < v->count; i++)
        n += snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", v->data[i]);
    snprintf(buf + n, sizeof buf - n, "]");
    return buf;
}

static int do_children(zhandle_t *zh, const char *path) {
    struct String_vector v;
    struct Stat st;
    int rc = zoo_get_children2(zh, path, 0, &v, &st);
    if (rc == ZOK) {
        out("children %s -> ZOK %s %s", path, children_str(&v), stat_str(&st));
        deallocate_String_vector(&v);
    } else {
        out("children %s -> %s", path, err_name(rc));
    }
    return rc;
}

static void print_acl(const char *what, const char *path, int rc, struct ACL_vector *acl,
                      struct Stat *st) {
    if (rc != ZOK) {
        out("%s %s -> %s", what, path, err_name(rc));
        return;
    }
    char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < acl->count; i++)
        n += snprintf(buf + n, sizeof buf - n, "%s%s:%s:%d", i ? "," : "",
                      acl->data[i].id.scheme, acl->data[i].id.id, acl->data[i].perms);
    out("%s %s -> ZOK [%s] aversion=%d", what, path, buf, st->aversion);
}

/* add_auth is asynchronous only: await its completion through the queue. */
static void auth_completion(int rc, const void *data) {
    q_push("auth %s -> %s", (const char *)data, err_name(rc));
}

static void do_add_auth(zhandle_t *zh, const char *scheme, const char *cred) {
    static char label[128];
    snprintf(label, sizeof label, "%s %s", scheme, cred);
    int rc = zoo_add_auth(zh, scheme, cred, (int)strlen(cred), auth_completion, label);
    if (rc != ZOK) {
        out("auth %s -> %s (not sent)", label, err_name(rc));
        return;
    }
    print_next("the add_auth completion");
}

/* base + name in a new string (never freed: the driver is short-lived). */
static char *join(const char *base, const char *name) {
    size_t n = strlen(base) + strlen(name) + 1;
    char *b = malloc(n);
    if (!b) fail("out of memory");
    snprintf(b, n, "%s%s", base, name);
    return b;
}

/* ------------------------------------------------------------------------------------------ */
/* Scenarios                                                                                  */

static void scenario_basic(const char *base) {
    zhandle_t *zh = connect_zk();
    create_plain(zh, base, "");
    create_plain(zh, join(base, "/a"), "hello");
    create_plain(zh, join(base, "/a"), "again");
    create_plain(zh, join(base, "/missing/x"), "");
    do_get(zh, join(base, "/a"));
    do_set(zh, join(base, "/a"), "world", 0);
    do_set(zh, join(base, "/a"), "stale", 0);
    do_set(zh, join(base, "/missing"), "x", -1);
    do_get(zh, join(base, "/a"));
    do_exists(zh, join(base, "/a"));
    do_exists(zh, join(base, "/missing"));
    create_plain(zh, join(base, "/nulldata"), NULL); /* NULL data, length -1 */
    do_get(zh, join(base, "/nulldata"));
    do_get(zh, base); /* created with "" (length 0) */
    {
        char path[512];
        struct Stat st;
        int rc = zoo_create2(zh, join(base, "/b"), "bb", 2, &ZOO_OPEN_ACL_UNSAFE,
                             ZOO_PERSISTENT, path, sizeof path, &st);
        if (rc == ZOK)
            out("create2 %s -> ZOK %s %s czxid==mzxid:%s", join(base, "/b"), path,
                stat_str(&st), st.czxid == st.mzxid ? "yes" : "no");
        else
            out("create2 %s -> %s", join(base, "/b"), err_name(rc));
    }
    do_children(zh, base);
    do_children(zh, join(base, "/missing"));
    do_delete(zh, base, -1);
    do_delete(zh, join(base, "/a"), 0);
    do_delete(zh, join(base, "/a"), 1);
    do_delete(zh, join(base, "/a"), -1);
    do_children(zh, base);
    zookeeper_close(zh);
}

static void scenario_sequential(const char *base) {
    zhandle_t *zh = connect_zk();
    char name[512];
    create_plain(zh, base, NULL);
    do_create(zh, join(base, "/s-"), "", 0, ZOO_PERSISTENT_SEQUENTIAL, NULL, NULL, 0);
    do_create(zh, join(base, "/s-"), "", 0, ZOO_PERSISTENT_SEQUENTIAL, NULL, name, sizeof name);
    do_delete(zh, join(base, "/s-0000000000"), -1);
    do_create(zh, join(base, "/s-"), "", 0, ZOO_PERSISTENT_SEQUENTIAL, NULL, NULL, 0);
    do_create(zh, join(base, "/e-"), "", 0, ZOO_EPHEMERAL_SEQUENTIAL, NULL, NULL, 0);
    do_exists(zh, base);
    do_children(zh, base);
    zookeeper_close(zh);
}

static void scenario_ephemeral(const char *base) {
    zhandle_t *owner = connect_zk();
    zhandle_t *other = connect_zk();
    create_plain(owner, base, NULL);
    do_create(owner, join(base, "/eph"), "e", 1, ZOO_EPHEMERAL, NULL, NULL, 0);
    do_create(owner, join(base, "/eph/kid"), "", 0, ZOO_PERSISTENT, NULL, NULL, 0);
    struct Stat st;
    int rc = zoo_exists(other, join(base, "/eph"), 0, &st);
    out("exists %s -> %s ephemeralOwner==owner's session:%s", join(base, "/eph"), err_name(rc),
        rc == ZOK && st.ephemeralOwner == zoo_client_id(owner)->client_id ? "yes" : "no");
    rc = zoo_wexists(other, join(base, "/eph"), watcher, NULL, &st);
    out("wexists %s -> %s", join(base, "/eph"), err_name(rc));
    out("close owner -> %s", err_name(zookeeper_close(owner)));
    print_next("the ephemeral's deletion");
    do_exists(other, join(base, "/eph"));
    do_children(other, base);
    zookeeper_close(other);
}

static void scenario_watch(const char *base) {
    zhandle_t *writer = connect_zk();
    zhandle_t *w = connect_zk();
    const char *node = join(base, "/w");
    const char *fresh = join(base, "/fresh");
    const char *sentinel = join(base, "/sentinel");
    char buf[64];
    int len;
    struct Stat st;
    struct String_vector v;

    create_plain(writer, base, NULL);
    create_plain(writer, node, "0");
    len = sizeof buf;
    out("wget %s -> %s", node, err_name(zoo_wget(w, node, watcher, NULL, buf, &len, &st)));
    do_set(writer, node, "1", -1);
    print_next("the data watch");
    do_set(writer, node, "2", -1); /* the data watch is used up: no second event */

    out("wexists %s -> %s", fresh, err_name(zoo_wexists(w, fresh, watcher, NULL, &st)));
    create_plain(writer, fresh, "");
    print_next("the exists watch");

    int rc = zoo_wget_children(w, base, watcher, NULL, &v);
    out("wget_children %s -> %s", base, err_name(rc));
    if (rc == ZOK) deallocate_String_vector(&v);
    do_set(writer, fresh, "x", -1); /* a child's data: not a child event */
    create_plain(writer, join(base, "/kid"), "");
    print_next("the child watch");

    /* Data and child watch on one node: its deletion is one event. */
    len = sizeof buf;
    out("wget %s -> %s", node, err_name(zoo_wget(w, node, watcher, NULL, buf, &len, &st)));
    rc = zoo_wget_children(w, node, watcher, NULL, &v);
    out("wget_children %s -> %s", node, err_name(rc));
    if (rc == ZOK) deallocate_String_vector(&v);
    do_delete(writer, node, -1);
    print_next("the deletion event");

    /* No other event is pending: the next one is the sentinel's. */
    out("wexists %s -> %s", sentinel, err_name(zoo_wexists(w, sentinel, watcher, NULL, &st)));
    create_plain(writer, sentinel, "");
    print_next("the sentinel event");
    zookeeper_close(w);
    zookeeper_close(writer);
}

static void get_completion(int rc, const char *value, int len, const struct Stat *st,
                           const void *data) {
    if (rc == ZOK)
        q_push("reply get %s -> ZOK \"%.*s\"", (const char *)data, len, value);
    else
        q_push("reply get %s -> %s", (const char *)data, err_name(rc));
}

static void stat_completion(int rc, const struct Stat *st, const void *data) {
    q_push("reply %s -> %s", (const char *)data, err_name(rc));
}

/* Async calls go through the same completion queue as watch events, so the queue shows the
 * order in which the server sent them: an event before the reply of any later request. */
static void scenario_order(const char *base) {
    zhandle_t *writer = connect_zk();
    zhandle_t *w = connect_zk();
    const char *node = join(base, "/o");
    static char set_label[600];
    create_plain(writer, base, NULL);
    create_plain(writer, node, "0");

    out("awget %s -> %s", node, err_name(zoo_awget(w, node, watcher, NULL, get_completion, node)));
    print_next("the awget reply");
    do_set(writer, node, "1", -1);
    out("aget %s -> %s", node, err_name(zoo_aget(w, node, 0, get_completion, node)));
    print_next("the first of event and reply");
    print_next("the second of event and reply");

    /* The watcher's own write: the event comes before the setData reply. */
    out("awget %s -> %s", node, err_name(zoo_awget(w, node, watcher, NULL, get_completion, node)));
    print_next("the awget reply");
    snprintf(set_label, sizeof set_label, "set %s", node);
    out("aset %s -> %s", node, err_name(zoo_aset(w, node, "2", 1, -1, stat_completion, set_label)));
    print_next("the first of event and reply");
    print_next("the second of event and reply");
    zookeeper_close(w);
    zookeeper_close(writer);
}

static void print_multi(int rc, int count, zoo_op_result_t *results, const char **names) {
    out("multi -> %s", err_name(rc));
    for (int i = 0; i < count; i++) {
        if (results[i].err == ZOK && results[i].value)
            out("  %s -> ZOK %.*s", names[i], results[i].valuelen, results[i].value);
        else if (results[i].err == ZOK && results[i].stat)
            out("  %s -> ZOK version=%d", names[i], results[i].stat->version);
        else
            out("  %s -> %s", names[i], err_name(results[i].err));
    }
}

static void scenario_multi(const char *base) {
    zhandle_t *zh = connect_zk();
    create_plain(zh, base, NULL);
    create_plain(zh, join(base, "/v"), "0");

    {
        zoo_op_t ops[5];
        zoo_op_result_t results[5];
        char created[2][512];
        struct Stat set_stat;
        const char *names[] = {"create a", "set v", "check v", "create s-", "delete a"};
        memset(results, 0, sizeof results);
        zoo_create_op_init(&ops[0], join(base, "/a"), "A", 1, &ZOO_OPEN_ACL_UNSAFE,
                           ZOO_PERSISTENT, created[0], sizeof created[0]);
        zoo_set_op_init(&ops[1], join(base, "/v"), "1", 1, 0, &set_stat);
        zoo_check_op_init(&ops[2], join(base, "/v"), 1);
        zoo_create_op_init(&ops[3], join(base, "/s-"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                           ZOO_PERSISTENT_SEQUENTIAL, created[1], sizeof created[1]);
        zoo_delete_op_init(&ops[4], join(base, "/a"), -1);
        int rc = zoo_multi(zh, 5, ops, results);
        print_multi(rc, 5, results, names);
    }
    {
        zoo_op_t ops[4];
        zoo_op_result_t results[4];
        char created[2][512];
        struct Stat set_stat;
        const char *names[] = {"create x", "set v", "check v", "create y"};
        memset(results, 0, sizeof results);
        zoo_create_op_init(&ops[0], join(base, "/x"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                           ZOO_PERSISTENT, created[0], sizeof created[0]);
        zoo_set_op_init(&ops[1], join(base, "/v"), "2", 1, -1, &set_stat);
        zoo_check_op_init(&ops[2], join(base, "/v"), 1); /* version is 2 after the set */
        zoo_create_op_init(&ops[3], join(base, "/y"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                           ZOO_PERSISTENT, created[1], sizeof created[1]);
        int rc = zoo_multi(zh, 4, ops, results);
        print_multi(rc, 4, results, names);
    }
    do_exists(zh, join(base, "/x"));
    do_get(zh, join(base, "/v"));
    do_children(zh, base);
    zookeeper_close(zh);
}

static void scenario_auth(const char *base) {
    zhandle_t *alice = connect_zk();
    zhandle_t *anon = connect_zk();
    const char *secret = join(base, "/secret");
    const char *mixed = join(base, "/mixed");
    struct ACL_vector acl;
    struct Stat st;
    int rc;

    create_plain(alice, base, NULL);
    do_create(anon, join(base, "/bad"), "", 0, ZOO_PERSISTENT, &ZOO_CREATOR_ALL_ACL, NULL, 0);
    do_add_auth(alice, "digest", "alice:pw");
    do_create(alice, secret, "s", 1, ZOO_PERSISTENT, &ZOO_CREATOR_ALL_ACL, NULL, 0);
    rc = zoo_get_acl(alice, secret, &acl, &st);
    print_acl("getacl(alice)", secret, rc, &acl, &st);

    do_get(anon, secret);
    do_set(anon, secret, "x", -1);
    rc = zoo_get_acl(anon, secret, &acl, &st);
    print_acl("getacl(anon)", secret, rc, &acl, &st);

    /* alice's digest id plus world read: others see the digest masked. */
    rc = zoo_get_acl(alice, secret, &acl, &st);
    if (rc == ZOK) {
        struct ACL entries[2];
        struct ACL_vector mixed_acl = {2, entries};
        entries[0] = acl.data[0];
        entries[1].perms = ZOO_PERM_READ;
        entries[1].id = ZOO_ANYONE_ID_UNSAFE;
        do_create(alice, mixed, "m", 1, ZOO_PERSISTENT, &mixed_acl, NULL, 0);
        deallocate_ACL_vector(&acl);
    }
    rc = zoo_get_acl(anon, mixed, &acl, &st);
    print_acl("getacl(anon)", mixed, rc, &acl, &st);
    if (rc == ZOK) deallocate_ACL_vector(&acl);
    rc = zoo_set_acl(alice, mixed, 0, &ZOO_OPEN_ACL_UNSAFE);
    out("setacl %s v0 -> %s", mixed, err_name(rc));
    rc = zoo_set_acl(alice, mixed, 0, &ZOO_OPEN_ACL_UNSAFE);
    out("setacl %s v0 -> %s", mixed, err_name(rc));
    rc = zoo_get_acl(anon, mixed, &acl, &st);
    print_acl("getacl(anon)", mixed, rc, &acl, &st);
    if (rc == ZOK) deallocate_ACL_vector(&acl);

    do_add_auth(anon, "digest", "alice:wrong");
    do_get(anon, secret);
    do_add_auth(anon, "digest", "alice:pw");
    do_get(anon, secret);

    do_add_auth(anon, "no-such-scheme", "x");
    out("state -> %s", state_name(zoo_state(anon)));
    zookeeper_close(anon);
    zookeeper_close(alice);
}

static void scenario_ttl(const char *base) {
    zhandle_t *zh = connect_zk();
    char path[512];
    struct Stat st;
    int rc;
    create_plain(zh, base, NULL);
    rc = zoo_create2_ttl(zh, join(base, "/ttl"), "t", 1, &ZOO_OPEN_ACL_UNSAFE,
                         ZOO_PERSISTENT_WITH_TTL, 200, path, sizeof path, &st);
    out("create_ttl %s -> %s %s", join(base, "/ttl"), err_name(rc), rc == ZOK ? stat_str(&st) : "");
    rc = zoo_create2_ttl(zh, join(base, "/ttl0"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                         ZOO_PERSISTENT_WITH_TTL, 0, path, sizeof path, &st);
    out("create_ttl %s ttl=0 -> %s", join(base, "/ttl0"), err_name(rc));
    rc = zoo_create2(zh, join(base, "/box"), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_CONTAINER, path,
                     sizeof path, &st);
    out("create_container %s -> %s %s", join(base, "/box"), err_name(rc),
        rc == ZOK ? stat_str(&st) : "");
    create_plain(zh, join(base, "/box/kid"), "");
    do_delete(zh, join(base, "/box/kid"), -1);

    /* Await both removals (polling: nothing notifies a client that has no watch). */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int a = zoo_exists(zh, join(base, "/ttl"), 0, &st);
        int b = zoo_exists(zh, join(base, "/box"), 0, &st);
        if (a == ZNONODE && b == ZNONODE) break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > TIMEOUT_MS / 1000)
            fail("ttl node and container still there: %s %s", err_name(a), err_name(b));
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    out("ttl node and emptied container removed");
    do_children(zh, base);
    zookeeper_close(zh);
}

/* Writes base/w-NNNNNN znodes for CORRAL_WRITER_SECONDS (default 5), one at a time, through
 * whatever the ensemble does meanwhile (a leader killed, a member stopped). Prints "acked PATH"
 * for each create the server confirmed and "unknown PATH RC" for each whose outcome the client
 * could not learn (connection loss during a failover): the test then checks that every acked
 * path exists on every member. */
static void scenario_writer(const char *base) {
    zhandle_t *zh = connect_zk();
    const char *env = getenv("CORRAL_WRITER_SECONDS");
    double seconds = env ? atof(env) : 5.0;
    /* A test that does not know in advance how long its load must last creates this file. */
    const char *stop_file = getenv("CORRAL_WRITER_STOP_FILE");
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int rc = zoo_create(zh, base, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) out("create %s -> %s", base, err_name(rc));
    for (int i = 0;; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
            break;
        if (stop_file != NULL && access(stop_file, F_OK) == 0) break;
        char path[512];
        snprintf(path, sizeof path, "%s/w-%06d", base, i);
        rc = zoo_create(zh, path, "v", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
        if (rc == ZOK) {
            out("acked %s", path);
        } else {
            out("unknown %s %s", path, err_name(rc));
            struct timespec pause = {0, 20 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    zookeeper_close(zh);
}

struct scenario {
    const char *name;
    void (*run)(const char *base);
};

static const struct scenario scenarios[] = {
    {"basic", scenario_basic},   {"sequential", scenario_sequential},
    {"ephemeral", scenario_ephemeral}, {"watch", scenario_watch},
    {"order", scenario_order},   {"multi", scenario_multi},
    {"auth", scenario_auth},     {"ttl", scenario_ttl},
    {"writer", scenario_writer},
};

int main(int argc, char **argv) {
    if (argc != 4 || argv[3][0] != '/') {
        fprintf(stderr, "usage: %s HOST:PORT SCENARIO BASE_PATH\nscenarios:", argv[0]);
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
            fprintf(stderr, " %s", scenarios[i].name);
        fprintf(stderr, "\n");
        return 1;
    }
    g_hosts = argv[1];
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zoo_set_log_stream(stderr);
    zoo_deterministic_conn_order(1);
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (strcmp(argv[2], scenarios[i].name) == 0) {
            scenarios[i].run(argv[3]);
            out("done");
            return 0;
        }
    }
    fprintf(stderr, "unknown scenario %s\n", argv[2]);
    return 1;
}
