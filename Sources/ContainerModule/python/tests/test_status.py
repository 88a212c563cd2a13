import os
import socket
import threading

import pytest


class Collector(object):
    """A status socket like the runner's: accepts connections, keeps every byte."""

    def __init__(self, path):
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.data = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _ = self.server.accept()
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                break
            self.data += chunk
        connection.close()

    def wait(self):
        self.thread.join(5)
        self.server.close()
        return self.data.decode("utf-8")


@pytest.fixture
def collector(rundir, monkeypatch):
    path = str(rundir / "update.sock")
    server = Collector(path)
    monkeypatch.setenv("GSSA_STATUS_SOCKET", path)
    return server


def test_status_lines_end_in_newline_and_never_hold_bytes_literals(gosmart, collector):
    from gosmart.parameters import update, update_available
    assert update_available
    assert update.status("Meshing", 10)
    assert update.status("no percentage")
    assert update.status("multi\nline", 99.5)
    update.close()
    assert collector.wait() == "10.000000|Meshing\n|no percentage\n99.500000|multi line\n"


def test_default_socket_is_under_shared_root(gosmart, rundir, monkeypatch):
    shared = rundir / "shared"
    shared.mkdir()
    server = Collector(str(shared / "update.sock"))
    from gosmart.status import StatusUpdater
    updater = StatusUpdater()
    assert updater.update_socket_location == str(shared / "update.sock")
    assert updater.connect()
    updater.status("hi", 1)
    updater.close()
    assert server.wait() == "1.000000|hi\n"


def test_without_socket_status_is_printed(gosmart, capsys):
    from gosmart.parameters import update, update_available
    assert not update_available
    assert update.status("Solving", 42.0) is False
    assert update.status("plain") is False
    assert capsys.readouterr().out == "STATUS: 42.000000% Solving\nSTATUS: plain\n"


def test_connect_to_dead_socket_is_false(gosmart, rundir):
    from gosmart.status import StatusUpdater
    assert StatusUpdater(str(rundir / "nothing.sock")).connect() is False
    assert not os.path.exists(str(rundir / "nothing.sock"))
