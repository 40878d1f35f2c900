"""Smoke test of the benchmark tools (run by ctest): the lean generator (and the C-client
generator, when built) against the null responder, briefly, for every workload. Passes when each
run completes requests with zero errors. It asserts nothing about speed.

Usage: smoke_test.py --lean PATH --null PATH [--cclient PATH]
"""
import argparse
import json
import os
import signal
import subprocess
import sys

WORKLOADS = ["populate", "read", "exists", "mixed", "write", "create-delete"]


def run_tool(binary, server, workload, extra=()):
    cmd = [binary, "--servers", server, "--workload", workload, "--connections", "2",
           "--window-requests", "8", "--warmup-s", "0.05", "--duration-s", "0.2",
           "--znodes", "200"] + list(extra)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                          text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
    result = json.loads(lines[-1])
    if result["errors"] != 0 or result["ops"] <= 0:
        raise AssertionError("%s: %s" % (" ".join(cmd), lines[-1]))
    print("ok  %-8s %-14s %8d ops  %s" % (result["tool"], workload, result["ops"],
                                          " ".join(extra)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lean", required=True)
    parser.add_argument("--null", required=True)
    parser.add_argument("--cclient")
    args = parser.parse_args()

    null = subprocess.Popen([args.null, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        banner = null.stdout.readline()
        if "listening on" not in banner:
            raise AssertionError("null responder did not start: %r" % banner)
        server = banner.split()[-1]
        for workload in WORKLOADS:
            run_tool(args.lean, server, workload)
        run_tool(args.lean, server, "mixed", ["--rate-ops-s", "2000"])
        if args.cclient:
            for workload in WORKLOADS:
                run_tool(args.cclient, server, workload)
            run_tool(args.cclient, server, "read", ["--rate-ops-s", "2000"])
    finally:
        os.kill(null.pid, signal.SIGTERM)
        null.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
