# Shared by dev/run and dev/test: install what is missing, then configure and build.
# Sourced, not run.

CORRAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CORRAL_BUILD_DIR:-$CORRAL_ROOT/build}"

# Debian packages the build and the tests need. Kept in one list so a newcomer's machine and CI
# install the same things.
CORRAL_DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libssl-dev libyaml-cpp-dev protobuf-compiler libprotobuf-dev prometheus-cpp-dev
  libgtest-dev googletest libedit-dev
  zookeeper libzookeeper-mt-dev python3-kazoo python3-pytest python3-yaml
  prometheus  # promtool, which the metrics tests validate /metrics with
  openssl     # certificates for the test kube-apiserver (tests/k8s_api)
  libcpprest-dev  # the operator's HTTP client to the Kubernetes API (operator/src/kube)
)

corral_install_deps() {
  local missing=()
  local pkg
  for pkg in "${CORRAL_DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

corral_build() {
  cmake -S "$CORRAL_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}
