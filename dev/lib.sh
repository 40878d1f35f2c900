# Shared by dev/run and dev/test: install what is missing, then configure and build.
# Sourced, not run.

CORRAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CORRAL_BUILD_DIR:-$CORRAL_ROOT/build}"

# Debian packages the build and the tests need. Kept in one list so a newcomer's machine and CI
# install the same things.
CORRAL_DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libssl-dev libyaml-cpp-dev protobuf-compiler libprotobuf-dev prometheus-cpp-dev
  libjemalloc-dev  # corral-server's malloc (CMakeLists.txt says why)
  libgtest-dev googletest libedit-dev
  zookeeper libzookeeper-mt-dev python3-kazoo python3-pytest python3-yaml
  prometheus  # promtool, which the metrics tests validate /metrics with
  openssl     # certificates for the test kube-apiserver (tests/k8s_api)
  libcpprest-dev  # the operator's HTTP client to the Kubernetes API (operator/src/kube)
)

# Installs whichever of the named Debian packages are missing, saying which (`$1` says what
# for; empty for the build's own). Without root it uses sudo: for the build's own packages it may
# ask for a password; for the optional ones it fails instead when sudo needs one, so that their
# tests are skipped rather than a run stopping at a prompt.
corral_install_packages() {
  local what="$1"
  shift
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev: installing Debian packages${what:+ for $what}: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    elif [ -z "$what" ]; then
      sudo="sudo"
    else
      echo "dev: no root and no passwordless sudo"
      return 1
    fi
  fi
  $sudo apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

corral_install_deps() { corral_install_packages "" "${CORRAL_DEB_PACKAGES[@]}"; }

# What tests/container needs to build the image and run it (rootful podman; see
# docs/container.md). Kept apart from CORRAL_DEB_PACKAGES: dev/run needs none of it, and a
# machine where these cannot be installed still runs every other test (the container test then
# says it was skipped and why).
CORRAL_CONTAINER_DEB_PACKAGES=(
  podman buildah runc netavark iptables  # the engine, its OCI runtime and its network
  debootstrap  # makes the debian:bookworm base images locally: no registry is reachable here
)

corral_install_container_deps() {
  corral_install_packages "the container test" "${CORRAL_CONTAINER_DEB_PACKAGES[@]}"
}

corral_build() {
  cmake -S "$CORRAL_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}
