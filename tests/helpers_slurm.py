"""A real single-node SLURM with accounting, brought up for one test session and stopped by PID.

munge (reused when one already answers), MariaDB and slurmdbd (so that ``sacct`` works, as on a real
cluster), slurmctld and slurmd, all with their state and logs under one temporary folder and all
its configuration in /etc/slurm, where SLURM's tools look: the job-step executor of
snakemake-executor-plugin-slurm drops ``SLURM_CONF`` from the environment of the ``srun`` it starts.
The configuration files are removed again on stop; a machine whose /etc/slurm already holds a
configuration not written here is left alone (``ForeignSlurm``).  Needs root and the Debian packages
``slurm-wlm munge slurmdbd mariadb-server`` (``scripts/setup`` installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ACCOUNT = "mbpipe"
PARTITION = "debug"
CLUSTER = "mbpipe"
CONF_DIR = Path("/etc/slurm")
MARKER = "# private single-node SLURM of the mbpipe tests; removed when they stop\n"
PROGRAMS = ("munged", "munge", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd", "sbatch")


def missing_programs() -> list[str]:
    return [p for p in PROGRAMS if not shutil.which(p) and not Path("/usr/sbin", p).exists()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, what: str, log: Path | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s\n{tail}")


def _succeeds(command: list[str], env=None) -> bool:
    return subprocess.run(command, capture_output=True, env=env).returncode == 0


def _succeeds_with(command: list[str], stdin: bytes) -> bool:
    return subprocess.run(command, input=stdin, capture_output=True).returncode == 0


class ForeignSlurm(RuntimeError):
    """This machine already has a SLURM configuration of its own."""


class SingleNodeSlurm:
    """``with SingleNodeSlurm(folder) as slurm:`` then run SLURM commands with ``env=slurm.env``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.host = socket.gethostname().split(".")[0]
        self.started: list[tuple[str, subprocess.Popen]] = []
        path = os.environ.get("PATH", "/usr/bin:/bin")
        self.env = dict(os.environ, SLURM_CONF=str(CONF_DIR / "slurm.conf"), PATH=f"{path}:/usr/sbin:/sbin")
        self.written: list[Path] = []
        self.hosts_line: str | None = None

    def __enter__(self):
        for name in ("slurm.conf", "slurmdbd.conf"):
            path = CONF_DIR / name
            if path.exists() and not path.read_text().startswith(MARKER):
                raise ForeignSlurm(f"{path} exists and was not written by the mbpipe tests; not touching it")
        try:
            self._make_host_resolvable()
            self._start_munge()
            self._start_mariadb()
            self._start_slurmdbd()
            self._register_accounting()
            self._start_slurm()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _spawn(self, name: str, command: list[str], **kwargs) -> subprocess.Popen:
        log = open(self.root / f"{name}.out", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env, **kwargs)
        self.started.append((name, process))
        return process

    def stop(self) -> None:
        """Stop the daemons started here, newest first, each by its own PID."""
        for _name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.started.clear()
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()
        if self.hosts_line:
            hosts = Path("/etc/hosts")
            hosts.write_text("".join(line for line in hosts.read_text().splitlines(True) if line != self.hosts_line))
            self.hosts_line = None

    def _make_host_resolvable(self) -> None:
        """slurmctld and slurmd find each other by the short host name."""
        try:
            socket.gethostbyname(self.host)
        except socket.gaierror:
            self.hosts_line = f"127.0.0.1 {self.host}  {MARKER}"
            with open("/etc/hosts", "a") as hosts:
                hosts.write(self.hosts_line)

    def _start_munge(self) -> None:
        def munge_answers():
            token = subprocess.run(["munge", "-n"], capture_output=True)
            return token.returncode == 0 and _succeeds_with(["unmunge"], token.stdout)

        if munge_answers():
            return
        subprocess.run(["install", "-d", "-o", "munge", "-g", "munge", "/run/munge"], check=True)
        self._spawn("munged", ["munged", "--foreground"], user="munge", group="munge")
        _wait_for(munge_answers, "munged", self.root / "munged.out")

    def _start_mariadb(self) -> None:
        datadir, self.db_socket, self.db_port = self.root / "mariadb", self.root / "mariadb.sock", _free_port()
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={datadir}",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True, env=self.env,
        )  # fmt: skip
        self._spawn(
            "mariadbd",
            ["mariadbd", "--no-defaults", "--user=root", f"--datadir={datadir}", f"--socket={self.db_socket}",
             f"--port={self.db_port}", "--bind-address=127.0.0.1", "--skip-name-resolve"],
        )  # fmt: skip
        sql = ["mariadb", "--no-defaults", f"--socket={self.db_socket}", "-uroot"]
        _wait_for(lambda: _succeeds([*sql, "-e", "SELECT 1"]), "MariaDB", self.root / "mariadbd.out")
        subprocess.run(
            [*sql, "-e", "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';"
             " GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"],
            check=True,
        )  # fmt: skip

    def _write_conf(self, name: str, text: str, mode: int) -> None:
        path = CONF_DIR / name
        self.written.append(path)
        path.write_text(MARKER + text)
        path.chmod(mode)

    def _start_slurmdbd(self) -> None:
        self.dbd_port = _free_port()
        self._write_conf(
            "slurmdbd.conf",
            f"""AuthType=auth/munge
DbdHost={self.host}
DbdPort={self.dbd_port}
SlurmUser=root
PidFile={self.root}/slurmdbd.pid
LogFile={self.root}/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={self.db_port}
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
""",
            0o600,
        )
        self._write_conf("slurm.conf", self._slurm_conf(), 0o644)
        self._spawn("slurmdbd", ["slurmdbd", "-D"])
        dbd_answers = lambda: _succeeds(["sacctmgr", "-n", "list", "cluster"], env=self.env)  # noqa: E731
        _wait_for(dbd_answers, "slurmdbd", self.root / "slurmdbd.log")

    def _register_accounting(self) -> None:
        for command in (
            ["add", "cluster", CLUSTER],
            ["add", "account", ACCOUNT, "Description=mbpipe tests", "Organization=mbpipe"],
            ["add", "user", "root", f"Account={ACCOUNT}"],
        ):
            subprocess.run(["sacctmgr", "-i", *command], env=self.env, check=True, capture_output=True)

    def _slurm_conf(self) -> str:
        memory_mb = int(0.85 * int(subprocess.run(["free", "-m"], capture_output=True, text=True).stdout.split()[9]))
        for folder in ("state", "spool"):
            (self.root / folder).mkdir(exist_ok=True)
        return f"""ClusterName={CLUSTER}
SlurmctldHost={self.host}
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/slurmctld.log
SlurmdLogFile={self.root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost={self.host}
AccountingStoragePort={self.dbd_port}
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
ReturnToService=2
NodeName={self.host} CPUs={os.cpu_count()} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
"""

    def _start_slurm(self) -> None:
        self._spawn("slurmctld", ["slurmctld", "-D", "-i"])
        _wait_for(lambda: _succeeds(["scontrol", "ping"], env=self.env), "slurmctld", self.root / "slurmctld.log")
        self._spawn("slurmd", ["slurmd", "-D", "-N", self.host])

        def node_idle():
            state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env).stdout
            return state.strip() == "idle"

        _wait_for(node_idle, "slurmd", self.root / "slurmd.log")

    def jobs(self) -> list[dict[str, str]]:
        """Every job the accounting database knows: id, name, state, exit code."""
        out = subprocess.run(
            ["sacct", "-X", "-n", "-P", "-a", "-S", "2000-01-01", "-o", "JobID,JobName,State,ExitCode,Comment%200"],
            capture_output=True, text=True, env=self.env, check=True,
        ).stdout  # fmt: skip
        keys = ("id", "name", "state", "exit_code", "comment")
        return [dict(zip(keys, line.split("|"), strict=True)) for line in out.splitlines() if line]

    def steps(self, job_id: str) -> list[str]:
        """The job steps SLURM recorded in job *job_id*, besides its batch script and extern step."""
        out = subprocess.run(
            ["sacct", "-n", "-P", "-o", "JobID", "-j", job_id], capture_output=True, text=True, env=self.env, check=True
        ).stdout
        return [step for step in out.split() if "." in step and not step.endswith((".batch", ".extern"))]
