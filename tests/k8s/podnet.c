/* podnet.so: a pod's own network, approximated inside the host's network namespace.
 *
 * The test node agent (node_agent.py) runs every pod's container in the host's network
 * namespace with a loopback address of its own as the pod IP (127.0.0.N, in $PODNET_IP). A
 * real pod has a network namespace of its own, so a server there binds 0.0.0.0 and is reached
 * on the pod IP only; three members binding 0.0.0.0:2181 side by side would collide instead.
 * Preloaded into the container's processes, this library makes a socket behave as in the pod:
 *   - bind() to 0.0.0.0 binds the pod IP;
 *   - connect() from a socket not bound yet first binds it to the pod IP (port 0), so peers see
 *     the pod IP as the source address, as they would in a cluster;
 *   - connect() to 127.0.0.1 (the pod's own localhost) goes to the pod IP;
 *   - connect() to a Service's virtual IP and port goes to one of its endpoints, chosen at
 *     random, as kube-proxy would send it: the agent keeps the table in $PODNET_SERVICES, one
 *     "VIP PORT ENDPOINT_IP ENDPOINT_PORT" line per endpoint, read at every such connect.
 * IPv4 only: the server listens on IPv4 addresses. Nothing else is changed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int pod_ip(struct in_addr* out) {
  const char* ip = getenv("PODNET_IP");
  return ip != NULL && inet_pton(AF_INET, ip, out) == 1;
}

int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  static int (*real_bind)(int, const struct sockaddr*, socklen_t);
  if (real_bind == NULL) real_bind = dlsym(RTLD_NEXT, "bind");
  struct in_addr ip;
  if (addr != NULL && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in) &&
      ((const struct sockaddr_in*)addr)->sin_addr.s_addr == htonl(INADDR_ANY) && pod_ip(&ip)) {
    struct sockaddr_in in = *(const struct sockaddr_in*)addr;
    in.sin_addr = ip;
    return real_bind(fd, (const struct sockaddr*)&in, sizeof in);
  }
  return real_bind(fd, addr, len);
}

/* Rewrites `to` when it is a Service's virtual IP and port; returns 0 when it is one with no
 * endpoint (the connection is refused, as kube-proxy's REJECT rule does). */
static int proxy(struct sockaddr_in* to) {
  const char* table = getenv("PODNET_SERVICES");
  if (table == NULL) return 1;
  FILE* f = fopen(table, "r");
  if (f == NULL) return 1;
  char vip[64], ip[64];
  unsigned port, ep_port;
  struct in_addr chosen;
  unsigned chosen_port = 0, seen = 0, is_service = 0;
  while (fscanf(f, "%63s %u %63s %u", vip, &port, ip, &ep_port) == 4) {
    struct in_addr v, e;
    if (inet_pton(AF_INET, vip, &v) != 1 || v.s_addr != to->sin_addr.s_addr ||
        port != ntohs(to->sin_port)) {
      continue;
    }
    is_service = 1;
    if (strcmp(ip, "-") == 0 || inet_pton(AF_INET, ip, &e) != 1) continue;
    seen++;
    if (rand() % seen == 0) {  /* reservoir sampling: each endpoint equally likely */
      chosen = e;
      chosen_port = ep_port;
    }
  }
  fclose(f);
  if (!is_service) return 1;
  if (seen == 0) return 0;
  to->sin_addr = chosen;
  to->sin_port = htons((unsigned short)chosen_port);
  return 1;
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  static int (*real_connect)(int, const struct sockaddr*, socklen_t);
  static int (*real_bind)(int, const struct sockaddr*, socklen_t);
  if (real_connect == NULL) real_connect = dlsym(RTLD_NEXT, "connect");
  if (real_bind == NULL) real_bind = dlsym(RTLD_NEXT, "bind");
  struct in_addr ip;
  if (addr == NULL || addr->sa_family != AF_INET || len < sizeof(struct sockaddr_in) ||
      !pod_ip(&ip)) {
    return real_connect(fd, addr, len);
  }
  struct sockaddr_in to = *(const struct sockaddr_in*)addr;
  if (to.sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
    to.sin_addr = ip;
  } else if ((ntohl(to.sin_addr.s_addr) >> 24) != 127 && !proxy(&to)) {
    errno = ECONNREFUSED;
    return -1;
  }
  struct sockaddr_in mine;
  socklen_t mine_len = sizeof mine;
  int type = 0;
  socklen_t type_len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM &&
      getsockname(fd, (struct sockaddr*)&mine, &mine_len) == 0 && mine.sin_family == AF_INET &&
      mine.sin_port == 0 && mine.sin_addr.s_addr == htonl(INADDR_ANY)) {
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    from.sin_family = AF_INET;
    from.sin_addr = ip;
    real_bind(fd, (const struct sockaddr*)&from, sizeof from);  /* best effort */
  }
  return real_connect(fd, (const struct sockaddr*)&to, sizeof to);
}
