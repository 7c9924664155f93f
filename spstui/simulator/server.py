"""Serving the simulator on a real port (plain HTTP or TLS), in the foreground or a thread."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from spstui.simulator.app import Simulator


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # give this to clients (curl --cacert, spstui --ca-bundle)
    cert: Path
    key: Path
    # A client certificate from the same CA, for certificate login (?type=x509).
    client_cert: Path
    client_key: Path


def make_tls_files(directory: Path | None = None,
                   hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> TlsFiles:
    """A fresh CA and a server certificate it signed, written as PEM files."""
    import trustme  # only needed for --tls

    folder = directory or Path(tempfile.mkdtemp(prefix="spstui-simulator-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="spstui simulator CA")
    cert = ca.issue_cert(*hosts)
    client = ca.issue_cert("auditor@spstui.example")
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                     folder / "client.pem", folder / "client.key")
    ca.cert_pem.write_to_path(str(files.ca))
    for issued, chain, key in ((cert, files.cert, files.key),
                               (client, files.client_cert, files.client_key)):
        issued.cert_chain_pems[0].write_to_path(str(chain))
        for extra in issued.cert_chain_pems[1:]:
            extra.write_to_path(str(chain), append=True)
        issued.private_key_pem.write_to_path(str(key))
        key.chmod(0o600)
    return files


def _config(sim: Simulator, host: str, port: int, tls: TlsFiles | None) -> uvicorn.Config:
    options: dict[str, object] = {}
    if tls and sim.client_certificates:
        # Certificate login: only clients with a certificate from our CA get through,
        # so a request that arrives over TLS has presented one.
        options = {"ssl_ca_certs": str(tls.ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return uvicorn.Config(
        sim.app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
        ssl_certfile=str(tls.cert) if tls else None, ssl_keyfile=str(tls.key) if tls else None,
        **options,  # type: ignore[arg-type]
    )


def serve(sim: Simulator, host: str, port: int, tls: TlsFiles | None = None) -> None:
    """Serve until interrupted."""
    uvicorn.Server(_config(sim, host, port, tls)).run()


def serve_socket(listening: socket.socket, stop: threading.Event, sim: Simulator) -> None:
    """Serve `sim` on a socket that is already listening, until `stop` is set.

    The socket exists before the simulator is built (`python -m spstui.simulator`),
    so a client may connect at once: its requests wait in the listen queue.
    """
    server = uvicorn.Server(_config(sim, "127.0.0.1", 0, None))

    def watch() -> None:
        stop.wait()
        server.should_exit = True

    threading.Thread(target=watch, daemon=True).start()
    server.run(sockets=[listening])


class BackgroundServer:
    """The simulator on a loopback port in a daemon thread (tests, benchmarks, demo).

    Port 0 picks a free port; `url` says which one was taken.
    """

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0,
                 tls: TlsFiles | None = None) -> None:
        self.sim = sim
        self.tls = tls
        # In a thread uvicorn leaves the process's signal handlers alone.
        self._server = uvicorn.Server(_config(sim, host, port, tls))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.url = ""

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        scheme = "https" if self.tls else "http"
        self.url = f"{scheme}://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
