"""Running ``torchrun`` from Python, a notebook cell included: a subprocess on one node, with a rendezvous
on 127.0.0.1 at a free port, a timeout, and no worker left running when the cell is interrupted.

``mp.spawn`` cannot run a function defined in a notebook cell (the child interpreters cannot import the
kernel's ``__main__``), so the workers' code lives in a module and :func:`launch` / :func:`start_launch`
run ``python -m torch.distributed.run ... -m that.module`` as a subprocess. Imports nothing from torch.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from companion._runtime import free_port


class LaunchError(RuntimeError):
    """torchrun failed or ran past its timeout; the message carries the workers' stderr."""


def torchrun_command(module_args, nproc):
    """``python -m torch.distributed.run`` on one node, rendezvous at 127.0.0.1 on a free port, running
    the module ``module_args[0]`` with the rest as its arguments in ``nproc`` worker processes."""
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", str(nproc),
            "--master-addr", "127.0.0.1", "--master-port", str(free_port()), "-m", *module_args]


def _children(pid):
    """The ids of the processes whose parent is ``pid`` (read from /proc; empty where there is none)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _kill_group(proc):
    """Kill torchrun and its workers: torchrun starts each worker in a session of its own, so killing
    torchrun's group alone would leave them running (and holding our pipes)."""
    for pid in [*_children(proc.pid), proc.pid]:
        with contextlib.suppress(ProcessLookupError):  # it may have ended by itself meanwhile
            os.killpg(pid, signal.SIGKILL) if pid == proc.pid else os.kill(pid, signal.SIGKILL)
    proc.wait()


class Launch:
    """A torchrun run in the background, started by :func:`start_launch`; :meth:`wait` collects it.

    The notebook can start the workers, go on with other cells while they import torch and train, and
    collect their output later; ``with`` (or :meth:`kill`) makes sure none outlives its cell."""

    def __init__(self, proc, command):
        self.proc, self.command = proc, command

    def wait(self, timeout=120.0):
        """torchrun's stdout once it exits. Past ``timeout`` seconds (counted from now), or on an
        interrupt, torchrun and its workers are killed; raises :class:`LaunchError` with the exit code
        and the tail of the workers' stderr on failure or timeout."""
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            err = self.proc.communicate(timeout=10)[1]
            raise LaunchError(f"torchrun ran past its timeout of {timeout} s; workers' stderr:\n{err[-4000:]}") \
                from None
        except BaseException:  # an interrupted notebook cell must not leave its workers running
            self.kill()
            raise
        if self.proc.returncode != 0:
            raise LaunchError(f"torchrun exited with code {self.proc.returncode}; workers' stderr:\n{err[-4000:]}")
        return out

    def kill(self):
        """Kill torchrun and its workers (nothing happens when they have ended)."""
        if self.proc.poll() is None:
            _kill_group(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


def start_launch(module_args, nproc=2, threads=1):
    """Start ``torchrun --nproc-per-node nproc -m module_args...`` on this machine and return at once with
    a :class:`Launch`.

    ``module_args`` is a list of strings, a module first (``["companion.distributed", "train", "--out",
    "run"]``). The rendezvous is on 127.0.0.1 at a free port; each worker gets ``OMP_NUM_THREADS=threads``
    and this package on its ``PYTHONPATH``; torchrun runs in a process group of its own so that a timeout
    can kill the workers too.
    """
    if not isinstance(module_args, (list, tuple)) or not module_args or \
            not all(isinstance(a, str) for a in module_args):
        raise ValueError(f"module_args must be a non-empty list of strings, got {module_args!r}")
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"nproc must be an integer >= 1, got {nproc!r}")
    command = torchrun_command(module_args, nproc)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    return Launch(proc, command)


def launch(module_args, nproc=2, timeout=120.0, threads=1):
    """Run ``torchrun --nproc-per-node nproc -m module_args...`` on this machine; return its stdout.

    :func:`start_launch` then :meth:`Launch.wait`: past ``timeout`` seconds, or on an interrupt, the whole
    process group (torchrun and its workers) is killed. Raises :class:`LaunchError` with the exit code and
    the tail of the workers' stderr on failure.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    return start_launch(module_args, nproc, threads).wait(timeout)
