"""The `distribute` section and TF_CONFIG, refused before TensorFlow with one line each."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.distribute import DistributeConfig, read_cluster
from tests.conftest import tiny_config, write_config

runner = CliRunner()
HINT = (
    '(set TF_CONFIG to {"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", '
    '"index": I}} on every worker)'
)
TWO = ["127.0.0.1:2001", "127.0.0.1:2002"]


def cluster_json(workers=TWO, task=None, **cluster) -> str:
    return json.dumps(
        {
            "cluster": {"worker": workers, **cluster},
            "task": task if task is not None else {"type": "worker", "index": 0},
        }
    )


BAD_TF_CONFIGS = [
    (None, f"error: distribute.strategy: multi_worker needs TF_CONFIG, which is not set {HINT}"),
    (
        "{'cluster': 1}",
        "error: TF_CONFIG: is not valid JSON (Expecting property name enclosed in "
        f"double quotes at character 1) {HINT}",
    ),
    ('["a"]', f"error: TF_CONFIG: needs a cluster and a task object {HINT}"),
    (
        cluster_json(ps=["127.0.0.1:2003"]),
        "error: TF_CONFIG: cluster has 'ps' jobs, which "
        "MultiWorkerMirroredStrategy does not use (list only workers)",
    ),
    (
        cluster_json(["127.0.0.1"]),
        f"error: TF_CONFIG: cluster.worker must list 'host:port' strings {HINT}",
    ),
    (
        cluster_json([TWO[0], TWO[0]]),
        "error: TF_CONFIG: cluster lists the same address twice "
        "(give every worker its own host:port)",
    ),
    (
        cluster_json(task={"type": "ps", "index": 0}),
        "error: TF_CONFIG: task.type 'ps' is not a job of the cluster (use type: worker)",
    ),
    (
        cluster_json(task={"type": "worker", "index": 2}),
        "error: TF_CONFIG: task.index 2 is not a worker of the cluster (use 0 to 1)",
    ),
]


@pytest.mark.parametrize(("tf_config", "message"), BAD_TF_CONFIGS)
def test_bad_tf_config_is_one_line_before_anything_is_written(
    tmp_path, runs_dir, monkeypatch, tf_config, message
):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    config = write_config(
        tmp_path / "cluster.yaml", tiny_config(distribute={"strategy": "multi_worker"})
    )
    result = runner.invoke(app, ["train", str(config), "--quiet"])
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert not runs_dir.exists()


def test_devices_is_for_mirrored(tmp_path, runs_dir):
    config = write_config(tmp_path / "devices.yaml", tiny_config(distribute={"devices": 2}))
    result = runner.invoke(app, ["train", str(config)])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "distribute: devices is for strategy: mirrored (logical CPU devices); a multi_worker "
        "cluster uses each worker's GPUs, or its CPU"
    )


@pytest.mark.parametrize(
    ("task", "index", "chief"),
    [({"type": "worker", "index": 0}, 0, True), ({"type": "worker", "index": 1}, 1, False)],
)
def test_the_cluster_says_which_worker_this_is(task, index, chief):
    cluster = read_cluster(
        DistributeConfig(strategy="multi_worker"), {"TF_CONFIG": cluster_json(task=task)}
    )
    assert (cluster.workers, cluster.index, cluster.chief) == (tuple(TWO), index, chief)
    assert cluster.leader == "/job:worker/replica:0/task:0"


def test_a_chief_job_is_worker_zero_and_leads():
    text = json.dumps(
        {
            "cluster": {"chief": ["h:1"], "worker": ["h:2", "h:3"]},
            "task": {"type": "worker", "index": 1},
        }
    )
    cluster = read_cluster(DistributeConfig(strategy="multi_worker"), {"TF_CONFIG": text})
    assert (cluster.workers, cluster.index, cluster.chief) == (("h:1", "h:2", "h:3"), 2, False)
    assert cluster.leader == "/job:chief/replica:0/task:0"
    assert cluster.jobs == {"chief": 1, "worker": 2}


def test_no_cluster_without_multi_worker():
    assert read_cluster(DistributeConfig(strategy="mirrored"), {"TF_CONFIG": "junk"}) is None


def test_every_new_field_is_described():
    from kerascli.config.schema import ExperimentConfig, FitConfig

    fields = [
        *DistributeConfig.model_fields.values(),
        FitConfig.model_fields["mixed_precision"],
        ExperimentConfig.model_fields["distribute"],
    ]
    assert all(field.description and len(field.description) > 20 for field in fields)


@pytest.mark.parametrize(
    ("cluster", "names"),
    [
        (
            {"worker": ["h:1", "h:2"]},
            ["worker 0, the chief (h:1)", "worker 1 (h:2)"],
        ),
        (
            {"chief": ["h:1"], "worker": ["h:2", "h:3"]},
            ["the chief (h:1)", "worker 0 (h:2)", "worker 1 (h:3)"],
        ),
    ],
)
def test_tasks_are_named_as_tf_config_names_them(cluster, names):
    text = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    read = read_cluster(DistributeConfig(strategy="multi_worker"), {"TF_CONFIG": text})
    assert [read.task(index) for index in range(len(names))] == names
    jobs = [("chief", 0), ("worker", 0), ("worker", 1), ("worker", 5), ("ps", 0)]
    expected = {2: [0, 0, 1, None, None], 3: [0, 1, 2, None, None]}[len(names)]
    if "chief" not in cluster:
        expected[0] = None  # no chief job: /job:chief names no task
    assert [read.task_of(job, number) for job, number in jobs] == expected
