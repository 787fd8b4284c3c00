"""Finger, step 17's client: ask the XML-RPC front-end for a status (fingerXRclient.py).

"The Evolution of Finger": Add XML-RPC Support. The listing makes a Server (the
standard library's xmlrpc.client, xmlrpclib in Python 2) for /RPC2 and prints
what its getUser says about moshez. It speaks to steps 17-22, finger.tac and
`twistd finger`.

    python finger/fingerXRclient.py --port 8000 moshez  ->  happy and well

Departures:
- the user is an argument (default moshez); the port is --port, else FINGER_WEB_PORT,
  else 8000; the host --host, else FINGER_IFACE, else 127.0.0.1
- at most --timeout (10) seconds; exit 0 with the status, or one line on stderr and exit 1
  (no server, a timeout, an XML-RPC fault, a server that does not speak XML-RPC)
"""

import argparse
import http.client
import os
import socket
import sys
import xmlrpc.client
from xml.parsers.expat import ExpatError
from xmlrpc.client import Server

PROG = "fingerXRclient.py"


def port_number(text):
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 1 to 65535, not {text!r}")
    return int(text)


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds greater than 0, not {text!r}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description="Ask a finger server's XML-RPC front-end "
        "for the status of a user.")
    parser.add_argument("user", nargs="?", default="moshez",
                        help="the user to ask about (default: moshez)")
    parser.add_argument("--port", type=port_number,
                        help="the web port (default: FINGER_WEB_PORT or 8000)")
    parser.add_argument("--host", default=os.environ.get("FINGER_IFACE", "127.0.0.1"),
                        help="the host (default: FINGER_IFACE or 127.0.0.1)")
    parser.add_argument("--timeout", type=seconds, default=10,
                        help="seconds to wait for an answer (default: 10)")
    args = parser.parse_args(argv)
    if args.port is None:  # --port wins over FINGER_WEB_PORT
        try:
            args.port = port_number(os.environ.get("FINGER_WEB_PORT", "8000"))
        except argparse.ArgumentTypeError as e:
            # Name the variable the bad value came from, not --port.
            sys.exit(f"{PROG}: FINGER_WEB_PORT {e}")
    return args


def main(argv=None):
    args = parse_args(argv)
    socket.setdefaulttimeout(args.timeout)
    url = f"http://{args.host}:{args.port}/RPC2"
    try:
        with Server(url) as server:
            status = server.getUser(args.user)
    except xmlrpc.client.Fault as e:
        sys.exit(f"{PROG}: {url}: {e.faultString}")
    except xmlrpc.client.ProtocolError as e:
        sys.exit(f"{PROG}: {url}: HTTP {e.errcode} {e.errmsg}")
    except xmlrpc.client.ResponseError:
        # Well-formed XML, but no XML-RPC answer (a web page, say).
        sys.exit(f"{PROG}: {url}: not an XML-RPC answer")
    except http.client.HTTPException:
        # The port answered, but not in HTTP: a finger port, say.
        sys.exit(f"{PROG}: {url}: not an HTTP answer")
    except ExpatError as e:
        # Not XML at all: some other server on that port, or a broken one.
        sys.exit(f"{PROG}: {url}: not an XML-RPC answer ({e})")
    except (OSError, xmlrpc.client.Error) as e:
        sys.exit(f"{PROG}: {url}: {getattr(e, 'strerror', None) or e}")
    print(status)


if __name__ == "__main__":
    main()
