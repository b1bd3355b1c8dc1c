"""`hostname` on every host of an esuctl lab inventory through parallel-ssh (native libssh2 client).

parallel-ssh checks no host key by itself; this client does, against the lab's known_hosts, and
forces the key exchange to curve25519-sha256 (what esuctl negotiates), so the comparison is fair.
usage: pssh_exec.py INVENTORY KNOWN_HOSTS POOL_SIZE [--check-kex]
"""
import re
import sys

from gevent.socket import SHUT_RDWR  # noqa: F401  (gevent first, as parallel-ssh does)
from pssh.clients.native import parallel, single
from pssh.config import HostConfig
from ssh2.knownhost import LIBSSH2_KNOWNHOST_KEYENC_RAW, LIBSSH2_KNOWNHOST_TYPE_PLAIN
from ssh2.session import LIBSSH2_METHOD_KEX, Session

KEX = "curve25519-sha256"
KNOWN_HOSTS = None
NEGOTIATED = []


class VerifyingClient(single.SSHClient):
    def _init_session(self, retries=1):
        self.session = Session()
        self.session.method_pref(LIBSSH2_METHOD_KEX, KEX)
        if self.timeout:
            self.session.set_timeout(self.timeout * 1000)
        if self._auth_thread_pool:
            single.THREAD_POOL.apply(self.session.handshake, (self.sock,))
        else:
            self.session.handshake(self.sock)
        key, _ = self.session.hostkey()
        kh = self.session.knownhost_init()
        kh.readfile(KNOWN_HOSTS)
        # raises KnownHostCheckMisMatchError / KnownHostCheckNotFoundError
        kh.checkp(self.host.encode(), self.port, key, LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW)
        NEGOTIATED.append(self.session.methods(LIBSSH2_METHOD_KEX))


parallel.SSHClient = VerifyingClient


def main():
    global KNOWN_HOSTS
    inventory, KNOWN_HOSTS, pool = sys.argv[1], sys.argv[2], int(sys.argv[3])
    text = open(inventory).read()
    user = re.search(r"^ansible_user=(\S+)", text, re.M).group(1)
    pkey = re.search(r"^ansible_ssh_private_key_file=(\S+)", text, re.M).group(1)
    hosts, config = [], {}
    for name, host, port in re.findall(r"^(\S+) ansible_host=(\S+) ansible_port=(\d+)", text, re.M):
        hosts.append(name)
        config[name] = (host, HostConfig(port=int(port), user=user, private_key=pkey))
    # parallel-ssh connects to the name it is given: give it the address, keep the order
    addrs = [config[n][0] for n in hosts]
    host_config = [config[n][1] for n in hosts]
    client = parallel.ParallelSSHClient(addrs, host_config=host_config, pool_size=pool, num_retries=1, timeout=60)
    output = client.run_command("hostname", stop_on_errors=False)
    client.join(output)
    ok = 0
    for o in output:
        if o.exception is None:
            lines = list(o.stdout)
            if o.exit_code == 0 and lines:
                ok += 1
    if "--check-kex" in sys.argv:
        print("kex:", sorted(set(NEGOTIATED)), file=sys.stderr)
    print(f"{ok}/{len(hosts)} ok", file=sys.stderr)
    sys.exit(0 if ok == len(hosts) else 1)


if __name__ == "__main__":
    main()
