"""Progress reporting from a model to the GSSA client through the runner's status socket."""

import os
import socket
import sys

__all__ = ["StatusUpdater"]


def _default_socket():
    path = os.environ.get("GSSA_STATUS_SOCKET")
    if path:
        return path
    root = os.environ.get("GSSA_SHARED_ROOT", "/shared")
    candidate = os.path.join(root, "update.sock")
    return candidate if os.path.exists(candidate) else None


class StatusUpdater(object):
    """Sends ``percentage|message`` lines to the status socket.

    Every line ends in ``\\n`` (the original did not, so messages merged). Without a percentage
    the line is ``|message``; with no socket the status is printed on stdout instead.
    """

    def __init__(self, update_socket_location=None):
        self.update_socket_location = update_socket_location or _default_socket()
        self._socket = None

    def connect(self):
        """Connect to the status socket; False when there is none or it does not answer."""
        if self._socket is not None:
            return True
        if not self.update_socket_location:
            return False
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.update_socket_location)
        except OSError:
            return False
        self._socket = sock
        return True

    @staticmethod
    def format_line(message, percentage=None):
        text = "" if message is None else str(message)
        text = text.replace("\r", " ").replace("\n", " ")
        if percentage is None:
            return "|%s\n" % text
        return "%lf|%s\n" % (float(percentage), text)

    def status(self, message, percentage=None):
        line = self.format_line(message, percentage)
        if self._socket is not None:
            try:
                self._socket.sendall(line.encode("utf-8"))
                return True
            except OSError:
                self.close()
        pct, _, text = line.rstrip("\n").partition("|")
        sys.stdout.write("STATUS: %s%s\n" % (("%s%% " % pct) if pct else "", text))
        sys.stdout.flush()
        return False

    def close(self):
        if self._socket is not None:
            try:
                self._socket.close()
            finally:
                self._socket = None
