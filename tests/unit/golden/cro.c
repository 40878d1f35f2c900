// One-off: C client connecting with ZOO_READONLY, then getChildren2 and closeSession.
#include <stdio.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>
static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {}
int main(int argc, char **argv) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zhandle_t *zh = zookeeper_init(argv[1], watcher, 10000, 0, 0, ZOO_READONLY);
  for (int i = 0; i < 50 && zoo_state(zh) != ZOO_CONNECTED_STATE; ++i) usleep(100000);
  struct String_vector v; struct Stat st;
  printf("ls %d\n", zoo_get_children2(zh, "/", 1, &v, &st));
  printf("close %d\n", zookeeper_close(zh));
  return 0;
}
