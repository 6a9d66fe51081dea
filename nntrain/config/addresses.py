"""host:port addresses (device.workers, TF_CONFIG): one parser, one wording of what is wrong."""

from __future__ import annotations


def parse_host_port(value: str) -> tuple[str, int]:
    """'host:port' or '[::1]:port' → (host, port); ValueError saying what is wrong otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not host:port (a string such as host1:12345)")
    host, colon, port = value.strip().rpartition(":")
    if not colon or not host:
        raise ValueError(f"{value!r} is not host:port: it has no port "
                         f"(e.g. {value or 'host'}:12345)")
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port: the port must be a number from 1 to 65535")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or any(c.isspace() or c in "/[]" for c in host):
        raise ValueError(f"{value!r} is not host:port: {host!r} is not a host name or address")
    return host, int(port)
