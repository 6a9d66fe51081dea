"""multi_worker: the cluster from TF_CONFIG or device.workers, checked, and a bounded wait for
every worker to join.

Left to itself, MultiWorkerMirroredStrategy() waits forever for a worker that never starts.
TensorFlow's coordination service can bound that wait (a registration barrier with a timeout),
but only through its private eager context: we configure the service as the strategy would
(its leader and jobs), plus that timeout, before creating the strategy.

Reading and checking the cluster needs no TensorFlow; it is imported only to start the worker.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from nntrain.config.addresses import parse_host_port
from nntrain.config.schema import DeviceConfig
from nntrain.errors import NntrainError, config_error, first_line, runtime_error

JOBS = ("chief", "worker")
EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
           '"task": {"type": "worker", "index": 0}}')


def cluster_config(cfg: DeviceConfig) -> dict[str, Any]:
    """TF_CONFIG's content: built from device.workers and device.task_index when given (the
    schema has checked them), else read from $TF_CONFIG and checked here."""
    if cfg.workers:
        return {"cluster": {"worker": list(cfg.workers)},
                "task": {"type": "worker", "index": cfg.task_index}}
    raw = os.environ.get("TF_CONFIG", "").strip()
    if cfg.cluster == "slurm" or (cfg.cluster == "auto" and not raw and
                                  "SLURM_PROCID" in os.environ):
        return slurm_config(cfg.port)
    if not raw:
        raise config_error("multi_worker needs the cluster: set TF_CONFIG, or device.workers "
                           "and device.task_index, or run under Slurm's srun",
                           "device.workers", f"TF_CONFIG='{EXAMPLE}'")
    return _parse(raw)


def _slurm(*names: str) -> str | None:
    """The first of these Slurm variables that is set (a step's, else the job's)."""
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def slurm_config(port: int) -> dict[str, Any]:
    """TF_CONFIG for this task of an srun step: one worker per task, at its node's `port` plus
    its place on the node, its index Slurm's rank (Slurm ranks tasks node by node, as the
    list is built). The GPUs Slurm gives each task (CUDA_VISIBLE_DEVICES) are left as set."""
    from nntrain.compat import slurm_nodes

    rank, count = _slurm("SLURM_PROCID"), _slurm("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS")
    nodelist = _slurm("SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST")
    per_node = _slurm("SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE")
    if None in (rank, count, nodelist, per_node):
        raise config_error("device.cluster slurm needs Slurm's task variables (SLURM_PROCID, "
                           "SLURM_NTASKS, SLURM_STEP_NODELIST, SLURM_STEP_TASKS_PER_NODE)",
                           "device.cluster", "start one nntrain fit per worker with srun")
    try:
        nodes, tasks = slurm_nodes(str(nodelist), str(per_node))
        workers = [f"{node}:{port + i}" for node, n in zip(nodes, tasks, strict=True)
                   for i in range(n)]
        index, total = int(str(rank)), int(str(count))
    except (ValueError, AssertionError) as exc:
        raise config_error(f"cannot read Slurm's node list {nodelist!r} with tasks per node "
                           f"{per_node!r} ({exc})", "device.cluster") from None
    if len(workers) != total or not 0 <= index < total:
        raise config_error(f"Slurm's variables disagree: {len(workers)} task(s) on "
                           f"{nodelist}, SLURM_NTASKS {total}, SLURM_PROCID {index}",
                           "device.cluster")
    return {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}


def _address(value: Any) -> tuple[str, int] | None:
    try:
        return parse_host_port(value)
    except ValueError:
        return None


def _parse(raw: str) -> dict[str, Any]:
    def bad(message: str) -> NntrainError:
        return config_error(message, "TF_CONFIG", f"e.g. {EXAMPLE}")

    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad(f"not valid JSON ({exc})") from None
    cluster = data.get("cluster") if isinstance(data, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise bad("needs `cluster`: a mapping of job name to a list of host:port")
    for job, addresses in cluster.items():
        if job not in JOBS:
            raise bad(f"job {job!r}: multi_worker runs `chief` and `worker` tasks only")
        if not isinstance(addresses, list) or not addresses or not all(map(_address, addresses)):
            raise bad(f"cluster.{job} must be a non-empty list of host:port, got {addresses!r}")
    if len(cluster.get("chief", [])) > 1:
        raise bad("cluster.chief takes at most one address")
    task = data.get("task")
    kind, index = (task.get("type"), task.get("index")) if isinstance(task, dict) else (None, None)
    if kind not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise bad(f"`task` must name this process's entry in `cluster` by type and index; "
                  f"got {task!r}")
    return data


def _bound_registration(cluster: dict[str, list[str]], seconds: float) -> None:
    """Without the barrier, the timeout alone does not stop the wait (measured on TF 2.21)."""
    from nntrain.compat import eager_context

    leader = "chief" if "chief" in cluster else "worker"
    context = eager_context()
    context.configure_coordination_service(
        service_type="standalone", service_leader=f"/job:{leader}/replica:0/task:0",
        cluster_register_timeout_in_ms=int(seconds * 1000))
    config = context.coordination_service
    config.cluster_register_with_barrier = True
    for job in JOBS:
        if job in cluster:
            config.coordinated_job_list.add(name=job, num_tasks=len(cluster[job]))


def reachable(address: str, seconds: float) -> bool:
    """Whether something accepts connections at host:port: the cheap way to tell a machine
    that is up from one that is not, before (or instead of) TensorFlow's long waits."""
    host_port = _address(address)
    if host_port is None:
        return False
    try:
        with socket.create_connection(host_port, timeout=seconds):
            return True
    except OSError:
        return False


def _not_joined(config: dict[str, Any], seconds: float) -> NntrainError:
    """Names the addresses where nothing listens: the workers that never came up."""
    mine = config["cluster"][config["task"]["type"]][config["task"]["index"]]
    others = [a for job in JOBS for a in config["cluster"].get(job, []) if a != mine]
    down = [a for a in others if not reachable(a, 2)]
    if down:
        return runtime_error(f"worker(s) never came up within {seconds:g} s: nothing answers "
                             f"at {', '.join(down)}",
                             "start nntrain fit on every machine of the cluster, each with its "
                             "own task index, or raise device.worker_timeout")
    return runtime_error(f"not every worker joined within {seconds:g} s (all of "
                         f"{', '.join(others)} answer)",
                         "check that each machine runs the same cluster with its own task index")


def _not_started(exc: Exception, config: dict[str, Any]) -> NntrainError:
    me = config["cluster"][config["task"]["type"]][config["task"]["index"]]
    return runtime_error(f"could not start this worker ({me}): "
                         f"{first_line(exc)}")


def multi_worker_strategy(cfg: DeviceConfig) -> tuple[Any, list[str]]:
    """MultiWorkerMirroredStrategy over the configured cluster; fails after
    device.worker_timeout seconds, naming the workers that did not come up."""
    from nntrain.engine import quiet_stderr, tf

    config = cluster_config(cfg)
    os.environ["TF_CONFIG"] = json.dumps(config)
    _bound_registration(config["cluster"], cfg.worker_timeout)
    with quiet_stderr():  # pages of C++ logs while waiting, and again as the failed start
        try:              # is cleaned up; our message says what went wrong
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except tf.errors.DeadlineExceededError:
            error = _not_joined(config, cfg.worker_timeout)
        except tf.errors.OpError as exc:
            error = _not_started(exc, config)
        else:
            error = None
    if error is not None:
        raise error
    return strategy, [d.split("device:")[-1] for d in strategy.extended.worker_devices]


def input_shard(strategy: Any) -> tuple[int, int]:
    """(this task's index, the number of tasks): which share of a multi-file source it reads."""
    resolver = strategy.cluster_resolver
    jobs = resolver.cluster_spec().as_dict()
    tasks = [(kind, i) for kind in ("chief", "worker") for i in range(len(jobs.get(kind, [])))]
    return tasks.index((resolver.task_type, resolver.task_id)), len(tasks)


def task_role(strategy: Any) -> tuple[bool, str]:
    """Whether this process is the chief (the chief task, else worker 0), and a few words on
    which task it is."""
    resolver = strategy.cluster_resolver
    jobs = resolver.cluster_spec().as_dict()
    kind, index = resolver.task_type, resolver.task_id
    chief = kind == "chief" or (kind == "worker" and index == 0 and "chief" not in jobs)
    tasks = sum(len(v) for v in jobs.values())
    return chief, f"{kind} {index} of {tasks} tasks{', the chief' if chief else ''}"
