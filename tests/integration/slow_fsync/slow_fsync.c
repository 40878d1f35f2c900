/* A slow disk for tests/integration/test_slow_disk.py: loaded into corral-server with
 * LD_PRELOAD, it makes every fdatasync wait CORRAL_TEST_FDATASYNC_DELAY_US microseconds before
 * doing the real one, as a cloud volume's flush takes milliseconds where this machine's takes
 * ~100 us. Nothing else changes: the data is still made durable. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

static int (*real_fdatasync)(int);

int fdatasync(int fd) {
  if (real_fdatasync == NULL) {
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (real_fdatasync == NULL) {
      errno = ENOSYS;
      return -1;
    }
  }
  const char* text = getenv("CORRAL_TEST_FDATASYNC_DELAY_US");
  long delay_us = text != NULL ? strtol(text, NULL, 10) : 0;
  if (delay_us > 0) {
    struct timespec left = {delay_us / 1000000, (delay_us % 1000000) * 1000};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
  }
  return real_fdatasync(fd);
}
