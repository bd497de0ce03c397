"""python3 -m berth_emulator --port P --upstream http://127.0.0.1:MOTO_PORT [--host H] [--realism SPEC] [--verbose]"""

import argparse
import sys

from . import __doc__ as package_doc
from .realism import REALISM, RealismError, parse_spec
from .server import serve


def main():
    parser = argparse.ArgumentParser(prog="berth_emulator", description=package_doc.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--upstream", required=True, help="moto's base URL, http://127.0.0.1:PORT")
    parser.add_argument("--realism", default="off",
                        help='AWS behaviours moto lacks, on by default: "off", "all", names such as '
                             '"consistency,propagation", or a JSON object (berth_emulator/realism.py)')
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--compute", action="store_true",
                        help="run tasks and instances for every account (compute emulation; off by default)")
    args = parser.parse_args()
    try:
        REALISM.configure(parse_spec(args.realism))
    except RealismError as error:
        sys.exit(f"berth_emulator: --realism: {error}")
    serve(args.host, args.port, args.upstream, args.verbose, args.compute)


if __name__ == "__main__":
    main()
