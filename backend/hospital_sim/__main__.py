"""`python -m hospital_sim --port 8765` (from backend/): serve the synthetic hospital until interrupted."""

import argparse
from datetime import date

from .data import DEFAULT_SEED, PAY_KEY
from .server import SimulatorServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="hospital_sim", description="Synthetic hospital for the demo and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--anchor-date", type=date.fromisoformat, default=None,
                        help="date the synthetic history is relative to (default: today)")
    parser.add_argument("--theatre-delay", type=float, default=5.0,
                        help="seconds before a received theatre application is scheduled")
    parser.add_argument("--pay-key", default=PAY_KEY, help="WeChat Pay v2 merchant key the simulator signs with")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = SimulatorServer((args.host, args.port), seed=args.seed, anchor=args.anchor_date,
                             theatre_delay=args.theatre_delay, verbose=args.verbose, pay_key=args.pay_key)
    print(f"hospital simulator listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
