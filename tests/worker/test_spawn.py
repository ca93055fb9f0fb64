"""The command line starts its worker before it imports anything else, and the first client
of that kind takes it; one nobody took is stopped."""

from jaxviz.cli.early import WORKER_COMMANDS
from jaxviz.cli.main import SUBCOMMANDS
from jaxviz.worker import protocol as p
from jaxviz.worker import spawn
from jaxviz.worker.client import WorkerClient


def test_every_subcommand_gets_its_worker_started_first():
    assert sorted(WORKER_COMMANDS) == sorted(SUBCOMMANDS)


def test_a_client_takes_the_prespawned_worker_and_it_answers():
    spawn.prespawn(None)
    (_, _, proc, _, _), = spawn._waiting
    client = WorkerClient(timeout=60)
    try:
        client.start()
        assert client._proc is proc and spawn._waiting == []
        assert isinstance(client.call(p.DevicesRequest()), p.DevicesResult)
    finally:
        client.close()
    assert proc.poll() is not None  # closing the client stopped it


def test_one_of_another_kind_is_not_taken_and_is_stopped_at_the_end():
    spawn.prespawn(3)
    (_, _, proc, _, _), = spawn._waiting
    assert spawn.take(True, None) is None  # wrong device count: not this one
    spawn.discard_waiting()
    assert spawn._waiting == [] and proc.poll() is not None


def test_the_device_count_is_read_ahead_as_the_parser_reads_it():
    from jaxviz.cli.early import host_devices_ahead

    assert host_devices_ahead(["pmap", "f.py", "--host-devices", "4"]) == 4
    assert host_devices_ahead(["pmap", "f.py", "--host-devices=8"]) == 8
    assert host_devices_ahead(["pmap", "f.py"]) is None
    for bad in (["--host-devices", "0"], ["--host-devices=lots"], ["--host-devices"],
                ["--host-devices", "100000"]):
        assert host_devices_ahead(["pmap", *bad]) is None  # the parser then says why
