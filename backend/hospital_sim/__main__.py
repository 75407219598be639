"""`python -m hospital_sim --port 8765` (from backend/): serve the synthetic hospital until interrupted."""

import argparse
import os
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
    parser.add_argument("--platform-url", default=os.environ.get("HOSPITAL_SIM_PLATFORM_URL", ""),
                        help="the day-surgery platform the doctor workstation launches bookings on "
                             "(env HOSPITAL_SIM_PLATFORM_URL); without it /_sim/workstation/* answers 503")
    parser.add_argument("--client-id", default=os.environ.get("HOSPITAL_SIM_CLIENT_ID", "HIS-SIM"),
                        help="this HIS's client id at the platform (env HOSPITAL_SIM_CLIENT_ID, default HIS-SIM)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    # The shared secret only from the environment: a command-line argument is visible to every local user (ps).
    secret = os.environ.get("HOSPITAL_SIM_CLIENT_SECRET", "")
    server = SimulatorServer((args.host, args.port), seed=args.seed, anchor=args.anchor_date,
                             theatre_delay=args.theatre_delay, verbose=args.verbose, pay_key=args.pay_key,
                             platform_url=args.platform_url, client_id=args.client_id, client_secret=secret)
    print(f"hospital simulator listening on {server.base_url}", flush=True)
    if server.state.platform.configured:
        print(f"doctor workstation launches bookings on {args.platform_url} as {args.client_id}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
