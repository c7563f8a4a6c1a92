/**
 * PURE: the ports `fetch` refuses to connect to. The Fetch standard blocks them ("block bad port",
 * https://fetch.spec.whatwg.org/#block-bad-port), and Node's fetch, which the agent's probes and ky use,
 * fails every request to one with `TypeError: fetch failed` (cause `bad port`) before connecting; curl
 * and the coordinator's undici Pool reach the same address. The list is undici's
 * (lib/web/fetch/constants.js `badPorts`, the fetch inside Node 20 and 22).
 */
const FETCH_BLOCKED_PORTS: ReadonlySet<string> = new Set(
  [
    '1 7 9 11 13 15 17 19 20 21 22 23 25 37 42 43 53 69 77 79 87 95 101 102 103 104 109 110 ',
    '111 113 115 117 119 123 135 137 139 143 161 179 389 427 465 512 513 514 515 526 530 531 ',
    '532 540 548 554 556 563 587 601 636 989 990 993 995 1719 1720 1723 2049 3659 4045 4190 ',
    '5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 6697 10080',
  ]
    .join('')
    .split(' '),
)

/** The URL's port when fetch refuses it, else null (an unparseable URL is someone else's problem). */
export function fetchBlockedPort(value: string): string | null {
  const port = URL.parse(value)?.port ?? ''
  return FETCH_BLOCKED_PORTS.has(port) ? port : null
}
