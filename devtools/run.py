"""`make run`: start the four processes, wait until healthy, stop all on Ctrl-C/SIGTERM."""
from __future__ import annotations

import signal
import sys
import time

from dealer.shared_secrets import SecretRefused
from devtools.stack import Stack, StackConfig


def main() -> int:
    config = StackConfig.from_env()
    try:
        stack = Stack(config).start()
    except (SecretRefused, ValueError) as refused:  # ValueError: settings that do not fit together
        print(f"could not start: {refused}", file=sys.stderr)
        return 1

    def stop(signum, _frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        seconds = stack.wait_healthy()
        print(f"\nAll healthy after {seconds:.1f} s:", flush=True)
        print(f"  Rasa server (REST channel): {config.url(config.rasa_port, '/webhooks/rest/webhook')}")
        print(f"  Action server (internal):   {config.action_url('/health')}")
        print(f"  Landing page:               {config.url(config.api_port, '/')}")
        print(f"  Web chat (customers):       {config.url(config.api_port, '/chat')}")
        print(f"  WeChat channel:             {config.url(config.rasa_port, '/webhooks/wechat/webhook')}")
        print(f"  Advisor pages:              {config.url(config.api_port, '/advisor')}  (demo: advisor / advisor)")
        print(f"  Advisor API (OpenAPI):      {config.url(config.api_port, '/api/docs')}")
        print(f"  Call list (提醒/回访电话):   {config.url(config.api_port, '/advisor/calls')}")
        print(f"  Worker (internal):          {config.worker_url('/health')}")
        print("Press Ctrl-C to stop.", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        crashed = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(f"stopped: {', '.join(crashed)} exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except (TimeoutError, RuntimeError) as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
