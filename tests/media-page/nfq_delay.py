"""Delays every packet of an NFQUEUE queue (the kernel here has no netem).

usage: nfq_delay.py QUEUE_NUM DELAY_MS MAX_SECONDS [JITTER_MS]
Each packet is delayed DELAY_MS plus, with JITTER_MS, a uniformly random 0..JITTER_MS more
(packets may then overtake each other, as on a jittery line). Packets are kept (retain) and
accepted once due; the loop ends after MAX_SECONDS at most. Prints "ready" once bound. Used by
`cargo xtask bench media` and the media tests inside the test's namespace.
"""
import heapq
import itertools
import random
import select
import sys
import time

from netfilterqueue import NetfilterQueue

queue_num, delay_s, max_s = int(sys.argv[1]), float(sys.argv[2]) / 1000.0, float(sys.argv[3])
jitter_s = float(sys.argv[4]) / 1000.0 if len(sys.argv) > 4 else 0.0
pending = []
order = itertools.count()


def on_packet(packet):
    packet.retain()
    due = time.monotonic() + delay_s + random.uniform(0.0, jitter_s)
    heapq.heappush(pending, (due, next(order), packet))


nfq = NetfilterQueue()
nfq.bind(queue_num, on_packet, max_len=20000)
fd = nfq.get_fd()
print("ready", flush=True)
deadline = time.monotonic() + max_s
try:
    while time.monotonic() < deadline:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            heapq.heappop(pending)[2].accept()
        wait = min(0.002, max(0.0, pending[0][0] - now)) if pending else 0.002
        readable, _, _ = select.select([fd], [], [], wait)
        if readable:
            nfq.run(block=False)
finally:
    for _, _, packet in pending:
        packet.accept()
    nfq.unbind()
