// One-off driver for the recording listener: the C client (libzookeeper_mt) sends
// create (with a digest+world ACL), getData, setData, exists, multi and closeSession.
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {}

int main(int argc, char **argv) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zhandle_t *zh = zookeeper_init(argv[1], watcher, 10000, 0, 0, 0);
  if (!zh) return 1;
  for (int i = 0; i < 50 && zoo_state(zh) != ZOO_CONNECTED_STATE; ++i) usleep(100000);
  struct Id bob = {"digest", "bob:tK1fpNO1hB0F++FhHpSq0Fa4tv0="};
  struct ACL acls[2] = {{ZOO_PERM_ALL, bob}, {ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE}};
  struct ACL_vector acl = {2, acls};
  char out[256];
  int rc = zoo_create(zh, "/cgolden", "cdata", 5, &acl, ZOO_PERSISTENT, out, sizeof out);
  printf("create %d %s\n", rc, out);
  char buf[64]; int len = sizeof buf; struct Stat st;
  rc = zoo_get(zh, "/cgolden", 1, buf, &len, &st);
  printf("get %d\n", rc);
  rc = zoo_set(zh, "/cgolden", "cdata2", 6, 0);
  printf("set %d\n", rc);
  rc = zoo_exists(zh, "/cgolden", 0, &st);
  printf("exists %d\n", rc);
  zoo_op_t ops[4]; zoo_op_result_t results[4];
  char p1[64];
  zoo_create_op_init(&ops[0], "/cgolden/m", "m1", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, p1, sizeof p1);
  zoo_set_op_init(&ops[1], "/cgolden", "m2", 2, 1, 0);
  zoo_check_op_init(&ops[2], "/cgolden", 2);
  zoo_delete_op_init(&ops[3], "/cgolden/old", -1);
  rc = zoo_multi(zh, 4, ops, results);
  printf("multi %d\n", rc);
  rc = zookeeper_close(zh);
  printf("close %d\n", rc);
  return 0;
}
