"""esuctl fleet benchmarks against `esuctl lab up --scenario fresh` (see bench/run). Not a test.

For each fleet size: several runs of each command, each measured as wall time, the controller's
CPU (user+sys of the command and every child it waited for), its peak RSS (wait4's ru_maxrss: the
largest single process of the command's tree, in MiB) and the server side's CPU (user+sys of the
lab's sshd listeners including their reaped children: per-session sshd and the guest simulator),
read from /proc before and after. Writes bench/RESULTS.md.
"""
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ESUCTL = os.environ["ESUCTL_BIN"]
PY = os.path.join(HERE, ".venv", "bin", "python")
ANSIBLE = os.path.join(HERE, ".venv", "bin", "ansible")
TICK = os.sysconf("SC_CLK_TCK")


def sizes():
    return [int(x) for x in os.environ.get("BENCH_SIZES", "50,200,500").split(",")]


def runs(kind):
    return int(os.environ.get("BENCH_RUNS_" + kind.upper(), {"exec": 5, "pssh": 5, "ansible": 3, "collect": 3}.get(kind, 1)))


def sshd_cpu(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
        except OSError:
            pass
    return total / TICK


def timed(argv, env=None, pids=()):
    """Runs argv in a forked child that execs it, reaps it with wait4 for its own rusage."""
    before = sshd_cpu(pids)
    r, w = os.pipe()
    er, ew = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.dup2(ew, 2)
        os.close(r)
        os.close(er)
        try:
            os.execve(argv[0], argv, env or os.environ)
        finally:
            os._exit(127)
    os.close(w)
    os.close(ew)
    out = bytearray()
    err = bytearray()
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ, out)
    sel.register(er, selectors.EVENT_READ, err)
    open_fds = 2
    while open_fds:
        for key, _ in sel.select():
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fd)
                os.close(key.fd)
                open_fds -= 1
            else:
                key.data.extend(chunk)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - start
    # sshd listeners reap their session children asynchronously: let the counters settle
    time.sleep(0.5)
    server = sshd_cpu(pids) - before
    code = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss / 1024.0, "server": server,
            "code": code, "stdout": out.decode(errors="replace"), "stderr": err.decode(errors="replace")}


def summary(samples, key):
    values = [s[key] for s in samples]
    med = statistics.median(values)
    return med, min(values), max(values)


def lab_up(n):
    d = f"/tmp/esuctl-bench-{n}"
    subprocess.run([ESUCTL, "lab", "down", "--dir", d], capture_output=True)
    subprocess.run(["rm", "-rf", d, d + "-state"])
    t = time.monotonic()
    subprocess.run([ESUCTL, "lab", "up", "--dir", d, "--scenario", "fresh", "--guests", str(n), "--restart-seconds", "1"],
                   check=True, capture_output=True)
    up = time.monotonic() - t
    state = json.load(open(os.path.join(d, "lab.json")))
    return d, state["sshdPids"], up


def main():
    results = {}
    notes = []
    for n in sizes():
        d, pids, up = lab_up(n)
        inv, kh, st = f"{d}/inventory.ini", f"{d}/known_hosts", f"{d}-state"
        par = str(min(n, 100))
        common = ["-i", inv, "--known-hosts", kh]
        ans_env = dict(os.environ)
        ans_env.update({
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            # the same key exchange; host keys from the lab's known_hosts; no connection sharing
            # (ControlPersist would reuse connections between runs) and no compression
            "ANSIBLE_SSH_ARGS": f"-o KexAlgorithms=curve25519-sha256 -o UserKnownHostsFile={kh} -o StrictHostKeyChecking=yes "
                                "-o GlobalKnownHostsFile=/dev/null -o ControlMaster=no -o GSSAPIAuthentication=no",
            "ANSIBLE_CONFIG": os.path.join(HERE, "ansible.cfg"), "ANSIBLE_LOCAL_TEMP": f"/tmp/esuctl-bench-ansible-{n}",
            "ANSIBLE_PYTHON_INTERPRETER": "/bin/false", "ANSIBLE_NOCOLOR": "1",
        })
        commands = {
            "exec": [ESUCTL, "exec"] + common + ["--parallel", par, "--", "hostname"],
            "pssh": [PY, os.path.join(HERE, "pssh_exec.py"), inv, kh, par],
            "ansible": [ANSIBLE, "all", "-i", inv, "-m", "raw", "-a", "hostname", "-f", par, "-o"],
            "collect": [ESUCTL, "collect"] + common + ["--state-dir", st, "--parallel", par, "--now", "2026-01-15"],
        }
        skip = set(os.environ.get(f"BENCH_SKIP_{n}", "").split(","))
        per = {}
        for kind, argv in commands.items():
            if kind in skip:
                continue
            samples = []
            for _ in range(runs(kind)):
                s = timed(argv, env=ans_env if kind == "ansible" else None, pids=pids)
                # collect exits 3 when hosts need action (a fresh fleet does): not a problem
                if s["code"] != 0 and not (kind == "collect" and s["code"] == 3):
                    notes.append(f"{n} hosts, {kind}: exit {s['code']}: {s['stderr'][-400:]}")
                samples.append(s)
                print(f"{n:4d} {kind:8s} wall {s['wall']:.2f}s cpu {s['cpu']:.2f}s rss {s['rss']:.1f}MiB server {s['server']:.2f}s exit {s['code']}", file=sys.stderr)
            per[kind] = samples
        if "sync" not in skip:
            sync = [ESUCTL, "sync", "--yes", "--allow-restart"] + common + [
                "--state-dir", st, "--parallel", par, "--now", "2026-01-15", "--keys", f"{d}/esu-keys",
                "--payloads", f"{d}/payloads", "--restart-timeout", "300"]
            s = timed(sync, pids=pids)
            ok = f"{n} hosts: {n} compliant" in s["stdout"]
            if not ok:
                notes.append(f"{n} hosts, sync: exit {s['code']}: {s['stdout'][-300:]}")
            print(f"{n:4d} sync     wall {s['wall']:.2f}s cpu {s['cpu']:.2f}s rss {s['rss']:.1f}MiB server {s['server']:.2f}s all compliant {ok}", file=sys.stderr)
            per["sync"] = [s]
        results[n] = {"up": up, "per": per}
        subprocess.run([ESUCTL, "lab", "down", "--dir", d], capture_output=True)
        subprocess.run(["rm", "-rf", d + "-state", f"/tmp/esuctl-bench-ansible-{n}"])
    write(results, notes)


def version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


# pssh.__version__ comes from versioneer, which reads whatever git checkout it runs in: ask pip's metadata
PSSH_VERSION = 'from importlib.metadata import version as v; print(v("parallel-ssh"), "(ssh2-python " + v("ssh2-python") + ")")'


def write(results, notes):
    lines = []
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    lines += ["# esuctl benchmarks", "",
              "Generated by `bench/run` (bench/bench.py). Not a test: numbers from one machine, shared with other work "
              "while it ran; compare ratios, not seconds.", "",
              f"- date: {now}", f"- machine: {cpu}, {os.cpu_count()} cores, {int(mem) // 1024} MiB RAM, {platform.platform()}",
              f"- load average at start: {os.environ.get('BENCH_LOADAVG', '?')}",
              f"- esuctl: release build of commit {os.environ.get('BENCH_COMMIT', '?')}; libssh2 {os.environ.get('BENCH_LIBSSH2', '?')}",
              f"- swift: {version(['swift', '--version'])}",
              f"- parallel-ssh: {version([PY, '-c', PSSH_VERSION])}",
              f"- ansible-core: {version([ANSIBLE, '--version'])}; OpenSSH client {version(['sh', '-c', 'ssh -V 2>&1'])}",
              f"- server: the lab's OpenSSH sshd ({version(['sh', '-c', 'ssh -V 2>&1'])}), 16 guests per sshd, guest simulator as ForceCommand",
              "", "Columns: median [min–max] over the runs. wall = elapsed; ctl CPU = user+sys of the command and all its waited-for "
              "children (Ansible's forks and ssh processes included); peak RSS = wait4's ru_maxrss, the largest single process "
              "of the command's tree (Ansible: per fork, not summed); server CPU = user+sys consumed by the lab's sshd processes, "
              "their per-session children and the guest simulator during the run. Parallelism: min(N, 100) everywhere "
              "(esuctl --parallel, parallel-ssh pool_size, ansible -f). Same key exchange (curve25519-sha256), host keys checked "
              "against the lab's known_hosts by all three.", ""]
    for n, r in results.items():
        lines += [f"## {n} hosts", "", f"`lab up`: {r['up']:.1f} s", "",
                  "| command | runs | wall s | ctl CPU s | peak RSS MiB | server CPU s |", "| --- | --- | --- | --- | --- | --- |"]
        label = {"exec": "esuctl exec -- hostname", "pssh": "parallel-ssh run_command('hostname')",
                 "ansible": "ansible all -m raw -a hostname", "collect": "esuctl collect",
                 "sync": "esuctl sync --yes --allow-restart (fresh → compliant)"}
        for kind, samples in r["per"].items():
            cells = []
            for key, fmt in (("wall", "{:.2f}"), ("cpu", "{:.2f}"), ("rss", "{:.1f}"), ("server", "{:.2f}")):
                med, lo, hi = summary(samples, key)
                cells.append(fmt.format(med) + (f" [{fmt.format(lo)}–{fmt.format(hi)}]" if len(samples) > 1 else ""))
            lines.append(f"| {label[kind]} | {len(samples)} | " + " | ".join(cells) + " |")
        per = r["per"]

        def med(kind, key):
            return summary(per[kind], key)[0] if kind in per else None

        lines.append("")
        ratios = []
        for other, name in (("pssh", "parallel-ssh"), ("ansible", "Ansible")):
            if "exec" in per and other in per:
                ratios.append(f"- esuctl exec / {name}: wall {med('exec', 'wall') / med(other, 'wall'):.2f}×, "
                              f"controller CPU {med('exec', 'cpu') / med(other, 'cpu'):.2f}×, "
                              f"peak RSS {med('exec', 'rss') / med(other, 'rss'):.2f}×, server CPU {med('exec', 'server') / max(med(other, 'server'), 1e-9):.2f}×")
        if "exec" in per and "collect" in per:
            ratios.append(f"- esuctl collect / esuctl exec: wall {med('collect', 'wall') / med('exec', 'wall'):.2f}×")
        lines += ratios + [""]
        targets = []
        if n == 200 and "exec" in per:
            if "pssh" in per:
                v = med("exec", "wall") / med("pssh", "wall")
                targets.append(f"- exec wall ≤ 0.8× parallel-ssh: {v:.2f}× — {'met' if v <= 0.8 else 'NOT met'}")
                v = med("exec", "cpu") / med("pssh", "cpu")
                targets.append(f"- exec controller CPU ≤ parallel-ssh's: {v:.2f}× — {'met' if v <= 1 else 'NOT met'}")
            if "ansible" in per:
                v = med("exec", "wall") / med("ansible", "wall")
                targets.append(f"- exec wall ≤ 0.3× Ansible: {v:.2f}× — {'met' if v <= 0.3 else 'NOT met'}")
            v = max(med("exec", "rss"), med("collect", "rss") if "collect" in per else 0)
            targets.append(f"- peak RSS ≤ 40 MiB at 200 hosts (exec, collect): {v:.1f} MiB — {'met' if v <= 40 else 'NOT met'}")
        if n == 500 and "exec" in per:
            v = max(med("exec", "rss"), med("collect", "rss") if "collect" in per else 0)
            targets.append(f"- peak RSS ≤ 64 MiB at 500 hosts (exec, collect): {v:.1f} MiB — {'met' if v <= 64 else 'NOT met'}")
        if "exec" in per and "collect" in per and n in (200, 500):
            v = med("collect", "wall") / med("exec", "wall")
            targets.append(f"- collect within 1.5× of exec ({n} hosts): {v:.2f}× — {'met' if v <= 1.5 else 'NOT met'}")
        if targets:
            lines += ["Targets:", ""] + targets + [""]
    if notes:
        lines += ["## Problems during the run", ""] + [f"- {x}" for x in notes] + [""]
    marker = "<!-- fuzz -->"
    path = os.path.join(HERE, "RESULTS.md")
    kept = ""
    if os.path.exists(path):
        old = open(path).read()
        if marker in old:
            kept = old[old.index(marker):]
    open(path, "w").write("\n".join(lines) + "\n" + (("\n" + kept) if kept else ""))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
